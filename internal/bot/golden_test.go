package bot

// Golden conversations: each testdata/*.txt file is one whole conversation
// with the bot. The file opens with header lines choosing the office and the
// conversation:
//
//	verify_birth_date: on        on (default) or off
//	lang: en                     the conversation's language (default: none, i.e. id)
//	now: 2026-01-20T10:00:00+07:00   the clock at the first message (this is the default)
//	tz: Asia/Makassar            the office's time zone (default: none, i.e. WIB)
//	hours: Senin-Jumat 08.00-16.00 WIB   the office's hours (this is the default; empty for none)
//	address: Jl. Merpati 3       the office's address (default: none)
//	phone: (021) 4200444         the office's telephone (default: none)
//	location: -6.1619,106.8455   the office's map location (default: none)
//	limits: 3/2                  look-ups per hour / failures per day (default: the defaults)
//	name_handling_office: on     name the office that handles another office's number
//	notify_after_lookup: on      subscribe the sender on each successful look-up
//	keyword.payment: #tarif, ongkos   the office's own keywords for an intent
//	text.id.thanks: Sama-sama!   the office's own version of a text
//
// Then, after a blank line, lines starting in column 0:
//
//	# a comment, kept as it is
//	@ wait 11m                   move the clock on
//	@ restart                    a new engine on the same store and conversation
//	@ staff reply K7M-3QX Sudah kami perbaiki.   staff answer a ticket
//	@ staff close K7M-3QX        staff close a ticket
//	@ staff hand back            staff give the chat back to the bot
//	@ from 6289999               later messages come from another sender
//	@ subscribers 3100000000000001   show who is subscribed to an application
//	> halo                       a text message from the applicant
//	> [audio]                    a message of another kind, with an optional caption
//	> [choice menu:bayar] Biaya & cara bayar   a tapped list row: its id and title
//
// Each message is followed by the bot's replies, indented by two spaces:
// the text, then a compact form of the list if there is one ("[list]",
// body lines with "|", sections, rows as "- id: title / description"), a
// location as "[location] lat,lng name / address", "---" between replies,
// "(no reply)" when there is none, and "(state: ...)" for what the bot
// waits for or has just changed. Those lines are written by the test:
// `go test ./internal/bot -update` rewrites them.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/content"

	_ "time/tzdata" // tests must not depend on the machine's zoneinfo
)

var update = flag.Bool("update", false, "rewrite golden files")

const testOffice = "jakpus"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fixtures are the applications the golden conversations ask about: one per
// stage at the test office (numbers 31000000000000NN, NN = 01..12, in the
// order of sigap.Stages), a few special cases, and one at another office.
func fixtures() *memStore {
	apps := []sigap.Application{
		{Number: "3100000000000001", ApplicantName: "Budi Santoso", BirthDate: day(1990, 5, 14), Stage: sigap.StageRegistered, StageAt: at("2026-01-19T14:00:00+07:00")},
		{Number: "3100000000000002", ApplicantName: "Siti Nurhaliza", BirthDate: day(1985, 3, 2), Stage: sigap.StageAwaitingPayment, StageAt: at("2026-01-20T09:30:00+07:00"),
			BillingCode: "820260120000002", BillingExpiresAt: at("2026-01-20T11:30:00+07:00")},
		{Number: "3100000000000003", ApplicantName: "Andi Wibowo", BirthDate: day(1978, 12, 25), Stage: sigap.StagePaid, StageAt: at("2026-01-18T10:00:00+07:00")},
		// Entered the stage at 03:00 WIB on 15 January, still 14 January in UTC.
		{Number: "3100000000000004", ApplicantName: "Dewi Lestari", BirthDate: day(2001, 1, 9), Stage: sigap.StageInterviewed, StageAt: at("2026-01-14T20:00:00Z")},
		{Number: "3100000000000005", ApplicantName: "Rudi Hartono", BirthDate: day(1969, 6, 30), Stage: sigap.StageApproved, StageAt: at("2026-01-16T11:00:00+07:00")},
		{Number: "3100000000000006", ApplicantName: "Rina Marlina", BirthDate: day(1995, 11, 4), Stage: sigap.StagePrinting, StageAt: at("2026-01-19T15:00:00+07:00")},
		{Number: "3100000000000007", ApplicantName: "Joko Susilo", BirthDate: day(1988, 2, 29), Stage: sigap.StageReady, StageAt: at("2026-01-19T08:00:00+07:00")},
		{Number: "3100000000000008", ApplicantName: "Wati Kusuma", BirthDate: day(1972, 7, 7), Stage: sigap.StageCollected, StageAt: at("2026-01-10T13:00:00+07:00")},
		{Number: "3100000000000009", ApplicantName: "Hendra Gunawan", BirthDate: day(1999, 10, 10), Stage: sigap.StageShipped, StageAt: at("2026-01-12T09:00:00+07:00")},
		{Number: "3100000000000010", ApplicantName: "Yuni Rahayu", BirthDate: day(2010, 5, 21), Stage: sigap.StageOnHold, StageAt: at("2026-01-14T10:00:00+07:00"),
			Note: "Akta kelahiran belum diunggah. Bawa akta asli ke loket 2."},
		{Number: "3100000000000011", ApplicantName: "Bambang Pamungkas", BirthDate: day(1980, 6, 10), Stage: sigap.StageRejected, StageAt: at("2026-01-13T10:00:00+07:00")},
		{Number: "3100000000000012", ApplicantName: "Sri Wahyuni", BirthDate: day(1993, 9, 15), Stage: sigap.StageCancelled, StageAt: at("2025-12-20T10:00:00+07:00"),
			Note: "Tidak diambil dalam 30 hari."},
		// Special cases.
		{Number: "3100000000000013", ApplicantName: "Taufik Hidayat", BirthDate: day(1981, 8, 10), Stage: sigap.StageAwaitingPayment, StageAt: at("2026-01-19T09:00:00+07:00"),
			BillingCode: "820260119000013", BillingExpiresAt: at("2026-01-19T11:00:00+07:00")},
		{Number: "3100000000000014", ApplicantName: "Lilis Suryani", BirthDate: day(1963, 4, 1), Stage: sigap.StageReady, StageAt: at("2025-12-01T10:00:00+07:00")},
		{Number: "3100000000000015", ApplicantName: "Ahmad Dahlan Nasution", BirthDate: day(2015, 12, 31), Stage: sigap.StageOnHold, StageAt: at("2026-01-15T10:00:00+07:00")},
	}
	m := newMemStore()
	for _, a := range apps {
		a.Office = testOffice
		a.PassportType = sigap.PassportElectronic
		m.add(a)
	}
	// Known at another office only: must read as unknown here, unless the
	// office names the handling office.
	m.add(sigap.Application{
		Number: "3100000000000099", Office: "jaksel", ApplicantName: "Kartini Rahmawati",
		BirthDate: day(1990, 1, 1), Stage: sigap.StageReady, StageAt: at("2026-01-19T08:00:00+07:00"),
	})
	return m
}

// script is a parsed golden file.
type script struct {
	header []string
	office sigap.Office
	conv   sigap.Conversation
	start  time.Time
	steps  []step
}

type step struct {
	comment string        // a "#" line
	wait    time.Duration // an "@ wait" line
	action  string        // another "@" line, without "@ "
	input   string        // a ">" line, without "> "
}

func parseScript(name, src string) (*script, error) {
	s := &script{
		office: sigap.Office{
			Code: testOffice, Name: "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat",
			VerifyBirthDate: true, Hours: "Senin-Jumat 08.00-16.00 WIB",
		},
		start: at("2026-01-20T10:00:00+07:00"),
	}
	lines := strings.Split(src, "\n")
	i := 0
	for ; i < len(lines) && lines[i] != ""; i++ {
		line := lines[i]
		s.header = append(s.header, line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: header line without ':': %q", name, i+1, line)
		}
		value = strings.TrimSpace(value)
		if err := s.setHeader(key, value); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, i+1, err)
		}
	}
	for ; i < len(lines); i++ {
		line := lines[i]
		switch {
		case line == "" || strings.HasPrefix(line, "  "):
			// the bot's replies: written by the test
		case strings.HasPrefix(line, "#"):
			s.steps = append(s.steps, step{comment: line})
		case strings.HasPrefix(line, "@ wait "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "@ wait "))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, i+1, err)
			}
			s.steps = append(s.steps, step{wait: d})
		case strings.HasPrefix(line, "@ "):
			s.steps = append(s.steps, step{action: strings.TrimPrefix(line, "@ ")})
		case strings.HasPrefix(line, "> ") || line == ">":
			s.steps = append(s.steps, step{input: strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")})
		default:
			return nil, fmt.Errorf("%s:%d: want '# ', '@ ', '> ' or an indented reply: %q", name, i+1, line)
		}
	}
	return s, nil
}

func (s *script) setHeader(key, value string) error {
	switch {
	case key == "verify_birth_date":
		s.office.VerifyBirthDate = value == "on"
	case key == "lang":
		s.conv.Lang = value
	case key == "now":
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return err
		}
		s.start = t
	case key == "tz":
		loc, err := time.LoadLocation(value)
		if err != nil {
			return err
		}
		s.office.TimeZone = loc
	case key == "hours":
		s.office.Hours = value
	case key == "address":
		s.office.Address = value
	case key == "phone":
		s.office.Phone = value
	case key == "location":
		var l sigap.Location
		if _, err := fmt.Sscanf(value, "%g,%g", &l.Latitude, &l.Longitude); err != nil {
			return fmt.Errorf("location %q: want LAT,LNG", value)
		}
		s.office.Location = &l
	case key == "limits":
		if _, err := fmt.Sscanf(value, "%d/%d", &s.office.Limits.LookupsPerHour, &s.office.Limits.FailuresPerDay); err != nil {
			return fmt.Errorf("limits %q: want LOOKUPS/FAILURES", value)
		}
	case key == "name_handling_office":
		s.office.NameHandlingOffice = value == "on"
	case key == "notify_after_lookup":
		s.office.Notifications.AfterLookup = value == "on"
	case strings.HasPrefix(key, "keyword."):
		if s.office.Keywords == nil {
			s.office.Keywords = map[string][]string{}
		}
		intent := strings.TrimPrefix(key, "keyword.")
		for _, kw := range strings.Split(value, ",") {
			s.office.Keywords[intent] = append(s.office.Keywords[intent], strings.TrimSpace(kw))
		}
	case strings.HasPrefix(key, "text."):
		lang, textKey, ok := strings.Cut(strings.TrimPrefix(key, "text."), ".")
		if !ok {
			return fmt.Errorf("%q: want text.LANG.KEY", key)
		}
		if s.office.Texts == nil {
			s.office.Texts = map[string]map[string]string{}
		}
		if s.office.Texts[lang] == nil {
			s.office.Texts[lang] = map[string]string{}
		}
		s.office.Texts[lang][textKey] = strings.ReplaceAll(value, `\n`, "\n")
	default:
		return fmt.Errorf("unknown header %q", key)
	}
	return nil
}

// message turns a "> " line into what the applicant sent.
func message(input string) sigap.InboundMessage {
	msg := sigap.InboundMessage{Kind: sigap.KindText, Text: input}
	if !strings.HasPrefix(input, "[") {
		return msg
	}
	tag, rest, ok := strings.Cut(input[1:], "]")
	if !ok {
		return msg
	}
	rest = strings.TrimPrefix(rest, " ")
	if id, ok := strings.CutPrefix(tag, "choice "); ok {
		return sigap.InboundMessage{Kind: sigap.KindInteractive, ChoiceID: id, Text: rest}
	}
	if id, ok := strings.CutPrefix(tag, "button "); ok {
		return sigap.InboundMessage{Kind: sigap.KindButton, ChoiceID: id, Text: rest}
	}
	switch k := sigap.MessageKind(tag); k {
	case sigap.KindAudio, sigap.KindImage, sigap.KindVideo, sigap.KindDocument, sigap.KindSticker,
		sigap.KindLocation, sigap.KindContacts, sigap.KindReaction, sigap.KindUnsupported:
		return sigap.InboundMessage{Kind: k, Text: rest}
	}
	if strings.HasPrefix(tag, "kind ") { // a kind the bot has never heard of
		return sigap.InboundMessage{Kind: sigap.MessageKind(strings.TrimPrefix(tag, "kind ")), Text: rest}
	}
	return msg
}

// run replays a script and returns the transcript and every reply.
func run(t *testing.T, name string, s *script) (string, []sigap.Reply) {
	t.Helper()
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	clock := s.start
	store := fixtures()
	deps := store.deps()
	deps.Offices = func(code string) (sigap.Office, bool) {
		if code == "jaksel" {
			return sigap.Office{Code: "jaksel", Name: "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan", DisplayNumber: "+62 811-0000-000"}, true
		}
		return s.office, code == s.office.Code
	}
	newEngine := func() *Engine { return New(cat, deps, func() time.Time { return clock }) }
	e := newEngine()
	conv := s.conv
	conv.Office, conv.User = s.office.Code, "6281234567890"
	convs := map[string]sigap.Conversation{conv.User: conv}

	var out strings.Builder
	for _, h := range s.header {
		out.WriteString(h + "\n")
	}
	out.WriteString("\n")
	var all []sigap.Reply
	for i, st := range s.steps {
		switch {
		case st.comment != "":
			fmt.Fprintf(&out, "%s\n", st.comment)
		case st.wait != 0:
			clock = clock.Add(st.wait)
			fmt.Fprintf(&out, "@ wait %s\n", formatDuration(st.wait))
		case st.action != "":
			fmt.Fprintf(&out, "@ %s\n", st.action)
			said, err := act(st.action, store, &e, newEngine, &conv, convs, clock)
			if err != nil {
				t.Fatalf("%s: @ %s: %v", name, st.action, err)
			}
			if said != "" {
				fmt.Fprintf(&out, "  (%s)\n\n", said)
			}
		default:
			msg := message(st.input)
			msg.ID = fmt.Sprintf("wamid.%s.%d", name, i)
			msg.Office, msg.From, msg.At = s.office.Code, conv.User, clock
			replies, next, err := e.Handle(context.Background(), s.office, conv, msg)
			if err != nil {
				t.Fatalf("%s: > %s: %v", name, st.input, err)
			}
			if !next.LastInboundAt.Equal(msg.At) {
				t.Errorf("%s: > %s: LastInboundAt = %v, want %v", name, st.input, next.LastInboundAt, msg.At)
			}
			prev := conv
			conv = next
			convs[conv.User] = conv
			all = append(all, replies...)
			fmt.Fprintf(&out, "> %s\n%s", st.input, render(replies, prev, conv, s.office.TimeZone))
		}
		clock = clock.Add(time.Second) // messages do not arrive at the same instant
	}
	return strings.TrimRight(out.String(), "\n") + "\n", all
}

// act carries out an "@" line: what happens outside the chat. It returns
// what the transcript should show, if anything.
func act(action string, store *memStore, e **Engine, newEngine func() *Engine, conv *sigap.Conversation, convs map[string]sigap.Conversation, now time.Time) (string, error) {
	ctx := context.Background()
	f := strings.Fields(action)
	switch {
	case action == "restart":
		*e = newEngine() // the store and the stored conversation stay
	case len(f) >= 3 && f[0] == "staff" && f[1] == "reply":
		return "", store.AnswerTicket(ctx, testOffice, f[2], strings.Join(f[3:], " "), sigap.TicketAnswered, now)
	case len(f) == 3 && f[0] == "staff" && f[1] == "close":
		tk, err := store.FindTicket(ctx, testOffice, f[2])
		if err != nil {
			return "", err
		}
		return "", store.AnswerTicket(ctx, testOffice, f[2], tk.Reply, sigap.TicketClosed, now)
	case action == "staff hand back":
		conv.HandoverSince, conv.HandoverUntil = time.Time{}, time.Time{}
	case len(f) == 2 && f[0] == "from":
		convs[conv.User] = *conv
		c, ok := convs[f[1]]
		if !ok {
			c = sigap.Conversation{Office: testOffice, User: f[1]}
		}
		*conv = c
	case len(f) == 2 && f[0] == "subscribers":
		users, err := store.Subscribers(ctx, testOffice, f[1])
		if len(users) == 0 {
			return "subscribers: none", err
		}
		return "subscribers: " + strings.Join(users, " "), err
	default:
		return "", fmt.Errorf("unknown action")
	}
	return "", nil
}

// formatDuration writes 11m rather than 11m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// render writes replies as the golden files show them, with what the
// conversation waits for and what changed in it.
func render(replies []sigap.Reply, prev, conv sigap.Conversation, loc *time.Location) string {
	var b strings.Builder
	line := func(prefix, s string) {
		for _, l := range strings.Split(s, "\n") {
			if l == "" && prefix == "" {
				b.WriteString("\n")
			} else {
				b.WriteString(strings.TrimRight("  "+prefix+l, " ") + "\n")
			}
		}
	}
	if len(replies) == 0 {
		line("", "(no reply)")
	}
	for i, r := range replies {
		if i > 0 {
			line("", "---")
		}
		line("", r.Text)
		if l := r.List; l != nil {
			line("", fmt.Sprintf("[list] header: %s | button: %s | footer: %s", l.Header, l.Button, l.Footer))
			line("| ", l.Body)
			for _, s := range l.Sections {
				line("", "[section] "+s.Title)
				for _, row := range s.Rows {
					line("", fmt.Sprintf("- %s: %s / %s", row.ID, row.Title, row.Description))
				}
			}
		}
		if l := r.Location; l != nil {
			line("", fmt.Sprintf("[location] %g,%g %s / %s", l.Latitude, l.Longitude, l.Name, l.Address))
		}
	}
	if loc == nil {
		loc = time.FixedZone("WIB", 7*60*60)
	}
	var state []string
	switch conv.Awaiting {
	case awaitBirthDate:
		state = append(state, fmt.Sprintf("awaiting %s for %s", conv.Awaiting, conv.AwaitingNumber))
	case "":
	default:
		state = append(state, fmt.Sprintf("awaiting %s %s", conv.Awaiting, conv.AwaitingKind))
	}
	if !conv.HandoverSince.IsZero() {
		state = append(state, "with staff until "+conv.HandoverUntil.In(loc).Format("2006-01-02 15:04"))
	} else if !prev.HandoverSince.IsZero() {
		state = append(state, "back from staff")
	}
	if conv.Lang != prev.Lang || conv.LangChosen != prev.LangChosen {
		s := "lang " + conv.Lang
		if conv.LangChosen {
			s += " (chosen)"
		}
		state = append(state, s)
	}
	if conv.Notify != prev.Notify {
		state = append(state, fmt.Sprintf("notify %v", conv.Notify))
	}
	for _, n := range conv.Numbers {
		if !slices.Contains(prev.Numbers, n) {
			state = append(state, "remembers "+n)
		}
	}
	if conv.LastTicket != prev.LastTicket {
		state = append(state, "ticket "+conv.LastTicket)
	}
	if len(state) > 0 {
		line("", "(state: "+strings.Join(state, "; ")+")")
	}
	b.WriteString("\n")
	return b.String()
}

func goldenFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range goldenFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := parseScript(path, string(src))
			if err != nil {
				t.Fatal(err)
			}
			got, replies := run(t, name, s)
			for _, r := range replies {
				if n := utf8.RuneCountInString(r.Text); n > content.MaxText {
					t.Errorf("a reply has %d characters, WhatsApp allows %d:\n%s", n, content.MaxText, r.Text)
				}
			}
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(strings.Split(string(src), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("%s differs (-file +got); rerun with -update if intended:\n%s", path, diff)
			}
		})
	}
}

// TestPrivacy checks every reply of every golden conversation against every
// stored applicant: no full name, no unmasked word of a name, no birth date
// in any form the applicant could write it or we could show it.
func TestPrivacy(t *testing.T) {
	var all []sigap.Reply
	for _, path := range goldenFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseScript(path, string(src))
		if err != nil {
			t.Fatal(err)
		}
		_, replies := run(t, filepath.Base(path), s)
		all = append(all, replies...)
	}
	if checked := checkSecrets(t, "golden", all); checked < 300 {
		t.Errorf("only %d replies checked; are the golden files there?", checked)
	}
}

// TestPrivacyEverywhere sends every labelled message, and every stored
// application's number followed by its right and a wrong birth date in
// every accepted form, in both languages, with the check on and off, and
// checks every reply as TestPrivacy does.
func TestPrivacyEverywhere(t *testing.T) {
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	msgs := allMessages(t)
	store := fixtures()
	for _, a := range store.apps {
		y, m, d := a.BirthDate.Date()
		for _, f := range []string{"%02[3]d%02[2]d%[1]d", "%02[3]d-%02[2]d-%[1]d", "%[3]d/%[2]d/%[1]d"} {
			msgs = append(msgs, a.Number, fmt.Sprintf(f, y, int(m), d), a.Number, fmt.Sprintf(f, y, int(m), d%28+1))
		}
	}
	now := at("2026-01-20T10:00:00+07:00")
	e := New(cat, store.deps(), func() time.Time { return now })
	var all []sigap.Reply
	for _, lang := range cat.Langs() {
		for _, verify := range []bool{true, false} {
			office := sigap.Office{Code: testOffice, Name: "Kanim", VerifyBirthDate: verify, NameHandlingOffice: true,
				Address: "Jl. Merpati 3", Location: &sigap.Location{Latitude: -6.1, Longitude: 106.8},
				Limits: unlimited} // this test looks up far more than a sender may
			conv := sigap.Conversation{Office: testOffice, User: "62811", Lang: lang, LangChosen: true}
			for i, m := range msgs {
				replies, next, err := e.Handle(t.Context(), office, conv, sigap.InboundMessage{
					ID: fmt.Sprint("m", i), From: "62811", Kind: sigap.KindText, Text: m, At: now})
				if err != nil {
					t.Fatalf("%q: %v", m, err)
				}
				conv = next
				if !conv.HandoverSince.IsZero() {
					conv.HandoverSince, conv.HandoverUntil = time.Time{}, time.Time{}
				}
				all = append(all, replies...)
			}
		}
	}
	if checked := checkSecrets(t, "everywhere", all); checked < 1000 {
		t.Errorf("only %d replies checked", checked)
	}
}

// checkSecrets reports every reply that shows a stored applicant's name or
// birth date, and returns how many replies it checked.
func checkSecrets(t *testing.T, where string, replies []sigap.Reply) int {
	t.Helper()
	type secret struct{ what, s string }
	var secrets []secret
	var nameWords []string
	cat, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range fixtures().apps {
		secrets = append(secrets, secret{"name", a.ApplicantName})
		for _, w := range strings.Fields(a.ApplicantName) {
			if utf8.RuneCountInString(w) > 1 {
				nameWords = append(nameWords, strings.ToLower(w))
			}
		}
		y, m, d := a.BirthDate.Date()
		for _, f := range []string{
			"%02[3]d%02[2]d%[1]d", "%02[3]d-%02[2]d-%[1]d", "%02[3]d/%02[2]d/%[1]d", "%02[3]d.%02[2]d.%[1]d",
			"%[3]d-%[2]d-%[1]d", "%[3]d/%[2]d/%[1]d", "%[1]d-%02[2]d-%02[3]d",
		} {
			secrets = append(secrets, secret{"birth date", fmt.Sprintf(f, y, int(m), d)})
		}
		for _, lang := range cat.Langs() {
			secrets = append(secrets, secret{"birth date", cat.Date(lang, a.BirthDate)})
		}
	}
	for _, r := range replies {
		text := r.Text
		if l := r.List; l != nil {
			text += "\n" + l.Header + "\n" + l.Body + "\n" + l.Footer + "\n" + l.Button
			for _, s := range l.Sections {
				text += "\n" + s.Title
				for _, row := range s.Rows {
					text += "\n" + row.Title + "\n" + row.Description
				}
			}
		}
		if l := r.Location; l != nil {
			text += "\n" + l.Name + "\n" + l.Address
		}
		for _, sec := range secrets {
			if strings.Contains(strings.ToLower(text), strings.ToLower(sec.s)) {
				t.Errorf("%s: a reply shows a %s (%q):\n%s", where, sec.what, sec.s, text)
			}
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(text), notAlnum) {
			if slices.Contains(nameWords, w) {
				t.Errorf("%s: a reply shows the name word %q:\n%s", where, w, text)
			}
		}
	}
	return len(replies)
}
