package bot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"
)

// TestFeedbackWayOut: while the bot waits for feedback, the next message
// is the feedback whatever its words, unless it is a clear way out.
func TestFeedbackWayOut(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true}
	for _, tt := range []struct {
		msg      string
		ticket   bool   // it became the feedback
		awaiting string // what the bot waits for afterwards
		reply    string // a word of the reply
	}{
		{"antrian di loket 3 lama", true, "", "saran"},
		{"bayar", true, "", "saran"},
		{"petugas", true, "", "saran"},
		{"ambil paspor kok lama", true, "", "saran"},
		{"halo min, parkir susah", true, "", "saran"},
		{"menu", false, "", "Ketik"},
		{"batal", false, "", "Ketik"},
		{"Batal!", false, "", "Ketik"},
		{"cancel", false, "", "Ketik"},
		{"#bayar", false, "", "Biaya paspor"},
		{"min #jam", false, "", "Jam layanan"},
		{"#petugas", false, "", "petugas"},
		{"3100000000000001", false, awaitBirthDate, "tanggal lahir"},
	} {
		_, conv := say(t, e, office, sigap.Conversation{}, "#saran")
		if conv.Awaiting != awaitFeedback {
			t.Fatalf("#saran: awaiting %q", conv.Awaiting)
		}
		replies, next := say(t, e, office, conv, tt.msg)
		if got := next.LastTicket != ""; got != tt.ticket {
			t.Errorf("%q after #saran: ticket %v, want %v", tt.msg, got, tt.ticket)
		}
		if next.Awaiting != tt.awaiting {
			t.Errorf("%q after #saran: awaiting %q, want %q", tt.msg, next.Awaiting, tt.awaiting)
		}
		if len(replies) == 0 || !strings.Contains(replies[0].Text, tt.reply) {
			t.Errorf("%q after #saran: reply %+v, want it to say %q", tt.msg, replies, tt.reply)
		}
	}
}

// TestCaptions: a photo's caption is read for an application number, and
// for the birth date the bot waits for; anything else in it gets the
// answer to a photo.
func TestCaptions(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true}
	media := func(kind sigap.MessageKind, caption string) sigap.InboundMessage {
		return sigap.InboundMessage{ID: "m", Kind: kind, Text: caption, At: now}
	}
	send := func(conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation) {
		t.Helper()
		replies, next, err := e.Handle(context.Background(), office, conv, m)
		if err != nil {
			t.Fatal(err)
		}
		return replies, next
	}
	photo, err := e.cat.Text("id", "non_text.image", content.Data{})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []sigap.MessageKind{sigap.KindImage, sigap.KindDocument, sigap.KindVideo} {
		_, conv := send(sigap.Conversation{}, media(kind, "nomor saya 3100 0000 0000 0001"))
		if conv.Awaiting != awaitBirthDate || conv.AwaitingNumber != "3100000000000001" {
			t.Fatalf("%s with a number: awaiting %q %q", kind, conv.Awaiting, conv.AwaitingNumber)
		}
		replies, next := send(conv, media(kind, "14 Mei 1990"))
		if len(replies) != 1 || !strings.Contains(replies[0].Text, "Terdaftar") || !slices.Contains(next.Numbers, "3100000000000001") {
			t.Errorf("%s with the birth date: %+v", kind, replies)
		}
		// A birth date nobody asked for, or no number, is a photo.
		for _, caption := range []string{"14 Mei 1990", "ini bukti bayar saya", ""} {
			replies, _ := send(sigap.Conversation{}, media(kind, caption))
			if len(replies) != 1 || replies[0].Text != photo {
				t.Errorf("%s %q: %+v, want the answer to a photo", kind, caption, replies)
			}
		}
	}
	// A sticker has no caption to read.
	replies, _ := send(sigap.Conversation{}, media(sigap.KindSticker, "3100000000000001"))
	if len(replies) != 1 || strings.Contains(replies[0].Text, "tanggal lahir") {
		t.Errorf("sticker: %+v", replies)
	}
}

// TestTwoTopics: two services asked together get both answers, each as it
// would be alone, in the order written; an application number still goes
// to the birth-date question alone.
func TestTwoTopics(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true, Phone: "(021) 4200444"}
	alone := func(lang, msg string) []sigap.Reply {
		r, _ := say(t, e, office, sigap.Conversation{Lang: lang}, msg)
		return r
	}
	for _, tt := range []struct{ lang, msg, first, second string }{
		{"", "syarat sama biaya bikin paspor apa aja", "#syarat", "#bayar"},
		{"", "biaya & syaratnya apa", "#bayar", "#syarat"},
		{"", "alamat dan no telp kantornya dong", "#lokasi", "#telepon"},
		{"en", "what are the requirements and the fees", "#syarat", "#bayar"},
	} {
		got := alone(tt.lang, tt.msg)
		want := append(alone(tt.lang, tt.first), alone(tt.lang, tt.second)...)
		if len(got) != len(want) {
			t.Errorf("%q: %d replies, want %d", tt.msg, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i].Text != want[i].Text {
				t.Errorf("%q: reply %d is %q, want %q", tt.msg, i, got[i].Text, want[i].Text)
			}
		}
	}
	replies, conv := say(t, e, office, sigap.Conversation{}, "syarat dan biaya 3100000000000001")
	if conv.Awaiting != awaitBirthDate || len(replies) != 1 {
		t.Errorf("number with two topics: %d replies, awaiting %q", len(replies), conv.Awaiting)
	}
}

// TestQuestionAfterDone: a clause asked as a question is answered over a
// clause before it that names its service more strongly, when that clause
// only says what the applicant has done; otherwise the stronger clause wins.
func TestQuestionAfterDone(t *testing.T) {
	lx := defaultLexicon
	for _, tt := range []struct{ msg, want string }{
		{"udh bayar billing nya, wawancara kapan ya?", intentApply},
		{"I already paid billing. When is my interview?", intentApply},
		{"sudah bayar, kapan bisa diambil?", intentPickup},
		// nothing done: the late payment is the subject
		{"telat bayar billing, harus daftar ulang?", intentPayment},
		{"billing udh lewat 2 jam, hrs daftar ulang?", intentPayment},
	} {
		r := read(lx, newKeywords(), tt.msg)
		if r.intent != tt.want || r.also != "" {
			t.Errorf("%q: read as %q (also %q), want %q", tt.msg, r.intent, r.also, tt.want)
		}
	}
}

// TestChoiceOfTwo: a message that means two services as much as each other
// gets a list of the two, and tapping a row or typing its title gets that
// service.
func TestChoiceOfTwo(t *testing.T) {
	now := at("2026-01-20T10:00:00+07:00")
	e := newTestEngine(t, fixtures().deps(), now)
	office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: true}
	for _, lang := range []string{"id", "en"} {
		conv := sigap.Conversation{Lang: lang, LangChosen: true}
		replies, _ := say(t, e, office, conv, "kak status bayar gimana")
		if len(replies) != 1 || replies[0].List == nil {
			t.Fatalf("%s: %+v, want a list", lang, replies)
		}
		l := replies[0].List
		var ids []string
		for _, s := range l.Sections {
			for _, r := range s.Rows {
				ids = append(ids, r.ID)
				if !strings.Contains(replies[0].Text, r.Title) {
					t.Errorf("%s: the text %q lacks the choice %q", lang, replies[0].Text, r.Title)
				}
				// The title typed back, on a channel without lists.
				typed, _ := e.classify(office, r.Title)
				tapped, _ := (&turn{e: e, setup: mustSetup(t, e, office), lang: lang}).rowIntent(r.ID)
				if typed != tapped {
					t.Errorf("%s: typing %q gives %s, tapping it %s", lang, r.Title, typed, tapped)
				}
			}
		}
		if !slices.Equal(ids, []string{"menu:status", "menu:bayar"}) || l.Body == "" || l.Button == "" {
			t.Errorf("%s: list %+v", lang, l)
		}
	}
}

// TestRowTitlesReadBack: the title of every row a choice can offer, typed
// back as a message, leads where tapping the row does, in every language:
// channels without lists show the titles as text.
func TestRowTitlesReadBack(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(cat, fixtures().deps(), nil)
	office := sigap.Office{Code: testOffice, Name: "Kanim"}
	n := 0
	for _, lang := range cat.Langs() {
		tr := &turn{e: e, setup: mustSetup(t, e, office), lang: lang}
		for _, name := range []string{"menu", "requirements"} {
			l, err := cat.List(lang, name, content.Data{Office: "Kanim"})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range l.Sections {
				for _, r := range s.Rows {
					intent, ok := tr.rowIntent(r.ID)
					if i := e.lex.index(intent); !ok || i < 0 || !e.lex.informational(i) {
						continue // never offered in a choice
					}
					n++
					if got, _ := e.classify(office, r.Title); got != intent {
						t.Errorf("%s: typing the row title %q gives %s, tapping it %s", lang, r.Title, got, intent)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d rows checked", n)
	}
}

// TestSameLabel: how TestIntentAccuracy scores two answers and a choice.
func TestSameLabel(t *testing.T) {
	for _, tt := range []struct {
		got, want string
		same      bool
	}{
		{"payment", "payment", true},
		{"payment+requirements", "requirements+payment", true},
		{"payment+requirements", "payment", true}, // the answer asked for, and one more
		{"payment", "payment+requirements", false},
		{"payment+apply", "payment+requirements", false},
		{"payment|requirements", "payment", false}, // asked to choose: a miss
		{"location", "payment", false},
	} {
		if got := sameLabel(tt.got, tt.want); got != tt.same {
			t.Errorf("sameLabel(%q, %q) = %v, want %v", tt.got, tt.want, got, tt.same)
		}
	}
}
