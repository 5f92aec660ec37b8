package bot_test

// Benchmarks of the bot's hot pieces: intent matching through Engine.Handle
// on the texts applicants send most, a status look-up with its reply, and
// finding an application number in a text. No timed assertions: run
//
//	go test -run '^$' -bench . -benchmem ./internal/bot/
//
// They use only the package's exported API and an in-memory application
// table, so they measure the bot, not a database.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/bot"
	"github.com/sigap-id/sigap/internal/content"
)

// benchApps is an in-memory sigap.Applications.
type benchApps map[string]sigap.Application

func (m benchApps) FindApplication(_ context.Context, office, number string) (sigap.Application, error) {
	a, ok := m[number]
	if !ok || a.Office != office {
		return sigap.Application{}, sigap.ErrNotFound
	}
	return a, nil
}

func (m benchApps) UpsertApplication(context.Context, sigap.Application, ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	return sigap.Unchanged, errors.New("read-only")
}

func (m benchApps) ApplicationHistory(context.Context, string) ([]sigap.StageChange, error) {
	return nil, nil
}

func (m benchApps) CountApplications(context.Context, string) (int, error) { return len(m), nil }

var benchNow = time.Date(2026, 1, 20, 10, 0, 0, 0, time.FixedZone("WIB", 7*3600))

func benchEngine(b *testing.B, apps benchApps) *bot.Engine {
	b.Helper()
	cat, err := content.Load()
	if err != nil {
		b.Fatal(err)
	}
	return bot.New(cat, bot.Deps{Applications: apps}, func() time.Time { return benchNow })
}

var benchOffice = sigap.Office{Code: "jakpus", Name: "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat", VerifyBirthDate: false}

// BenchmarkHandle answers the texts applicants send most, each as the first
// message of a conversation.
func BenchmarkHandle(b *testing.B) {
	e := benchEngine(b, benchApps{})
	for _, tt := range []struct{ name, text string }{
		{"greeting", "Halo min 🙏"},
		{"bayar", "#bayar"},
		{"question", "sy mau tanya brp biaya paspor elektronik ya kak"},
		{"typo", "syrat bikin paspor anak gmn"},
		{"english", "how much does a passport cost?"},
		{"unknown", "ok"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			msg := sigap.InboundMessage{ID: "wamid.bench", Office: benchOffice.Code, From: "6281234567890",
				Kind: sigap.KindText, Text: tt.text, At: benchNow}
			b.ReportAllocs()
			for b.Loop() {
				replies, _, err := e.Handle(context.Background(), benchOffice, sigap.Conversation{}, msg)
				if err != nil || len(replies) == 0 {
					b.Fatalf("%d replies, %v", len(replies), err)
				}
			}
		})
	}
}

// BenchmarkHandleStatus answers an application number with the status
// reply (an office that does not ask the birth date).
func BenchmarkHandleStatus(b *testing.B) {
	apps := benchApps{}
	for i := range 1000 {
		n := fmt.Sprintf("1060202611%06d", i)
		apps[n] = sigap.Application{Number: n, Office: benchOffice.Code, ApplicantName: "Budi Santoso",
			BirthDate: time.Date(1990, 8, 17, 0, 0, 0, 0, time.UTC), PassportType: sigap.PassportElectronic,
			Stage: sigap.Stages[i%len(sigap.Stages)], StageAt: benchNow.Add(-26 * time.Hour)}
	}
	e := benchEngine(b, apps)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		msg := sigap.InboundMessage{ID: "wamid.bench", Office: benchOffice.Code, From: "6281234567890",
			Kind: sigap.KindText, Text: fmt.Sprintf("1060 2026 1100 %04d", i%1000), At: benchNow}
		replies, _, err := e.Handle(context.Background(), benchOffice, sigap.Conversation{}, msg)
		if err != nil || len(replies) == 0 {
			b.Fatalf("%d replies, %v", len(replies), err)
		}
		i++
	}
}

func BenchmarkExtractApplicationNumber(b *testing.B) {
	for _, tt := range []struct{ name, text string }{
		{"plain", "1060202611000007"},
		{"spaced", "no permohonan saya 1060 2026 1100 0007 min"},
		{"none", "selamat siang, mau tanya syarat paspor untuk anak umur 5 tahun"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bot.ExtractApplicationNumber(tt.text)
			}
		})
	}
}
