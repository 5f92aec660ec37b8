package whatsapp_test

// Benchmarks of the webhook's hot path (verify, parse, turn into the
// domain's delivery) on a realistic one-message delivery, and of rendering
// the menu list for the Graph API. No timed assertions: run
//
//	go test -run '^$' -bench . -benchmem ./internal/whatsapp/

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

const benchSecret = "app-secret-for-benchmarks"

// benchDelivery is a text message as Meta delivers it: one entry, one
// change, the sender's contact and one message.
var benchDelivery = []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":` +
	`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"628118539333","phone_number_id":"100000000000001"},` +
	`"contacts":[{"profile":{"name":"Budi Santoso"},"wa_id":"6281234567890"}],` +
	`"messages":[{"from":"6281234567890","id":"wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYIDNBQjQ1RjE2QkE0MzQ0MjE5RTc3QkQ0MjU0QkE3MDQ4AA==",` +
	`"timestamp":"1764048000","type":"text","text":{"body":"min, mau cek status permohonan 1060 2026 1100 0007 \ud83d\ude4f"}}]},` +
	`"field":"messages"}]}]}`)

var benchOffices = func(id string) (sigap.Office, bool) {
	if id == "100000000000001" {
		return sigap.Office{Code: "jakpus", ChannelConfig: &whatsapp.Config{PhoneNumberID: id}}, true
	}
	return sigap.Office{}, false
}

var benchLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func BenchmarkVerifySignature(b *testing.B) {
	sig := whatsapp.Sign(benchSecret, benchDelivery)
	b.SetBytes(int64(len(benchDelivery)))
	b.ReportAllocs()
	for b.Loop() {
		if err := whatsapp.VerifySignature(benchSecret, benchDelivery, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDelivery(b *testing.B) {
	b.SetBytes(int64(len(benchDelivery)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := whatsapp.ParseDelivery(benchDelivery); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToDelivery(b *testing.B) {
	d, err := whatsapp.ParseDelivery(benchDelivery)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := whatsapp.ToDelivery(d, benchOffices, benchLog); len(got.Messages) != 1 {
			b.Fatalf("%d messages", len(got.Messages))
		}
	}
}

// BenchmarkWebhookPath is the three together, as the webhook does them
// before it stores the delivery.
func BenchmarkWebhookPath(b *testing.B) {
	sig := whatsapp.Sign(benchSecret, benchDelivery)
	b.SetBytes(int64(len(benchDelivery)))
	b.ReportAllocs()
	for b.Loop() {
		if err := whatsapp.VerifySignature(benchSecret, benchDelivery, sig); err != nil {
			b.Fatal(err)
		}
		d, err := whatsapp.ParseDelivery(benchDelivery)
		if err != nil {
			b.Fatal(err)
		}
		if got := whatsapp.ToDelivery(d, benchOffices, benchLog); len(got.Messages) != 1 {
			b.Fatalf("%d messages", len(got.Messages))
		}
	}
}

// benchMenu is the shape of the bot's menu: a text fallback and a list of
// four rows.
var benchMenu = sigap.Reply{
	Text: "Halo, selamat datang di layanan informasi paspor *Kantor Imigrasi Kelas I Non TPI Jakarta Pusat*.\n" +
		"Di sini Anda bisa cek status dan bertanya soal paspor. Pendaftaran tetap lewat aplikasi M-Paspor.\n\n" +
		"Ketik:\n• *16 digit nomor permohonan* untuk cek status\n• *#bayar* untuk biaya dan cara bayar\n" +
		"• *#syarat* untuk persyaratan dokumen\n• *#antrian* atau *#ambil* untuk pengambilan paspor\n• *menu* untuk kembali ke menu ini",
	List: &sigap.List{
		Header: "Layanan Informasi Paspor",
		Body: "Halo, selamat datang di layanan informasi paspor *Kantor Imigrasi Kelas I Non TPI Jakarta Pusat*.\n" +
			"Pendaftaran tetap lewat aplikasi M-Paspor.\n\nUntuk cek status, ketik *16 digit nomor permohonan*. Untuk info lain, tekan *Pilih layanan*.",
		Footer: "Ketik menu kapan saja untuk kembali",
		Button: "Pilih layanan",
		Sections: []sigap.ListSection{{Title: "Layanan", Rows: []sigap.ListRow{
			{ID: "menu:status", Title: "Cek status", Description: "Kirim 16 digit nomor permohonan"},
			{ID: "menu:bayar", Title: "Biaya & cara bayar", Description: "Tarif paspor, kode billing, dan tempat bayar"},
			{ID: "menu:syarat", Title: "Persyaratan", Description: "Dokumen untuk dewasa, anak, ganti, hilang, rusak"},
			{ID: "menu:antrian", Title: "Pengambilan paspor", Description: "Kapan siap, siapa yang boleh ambil, apa yang dibawa"},
		}}},
	},
}

// BenchmarkRenderMenu renders the menu list and encodes the request body,
// as the Graph client does for each send.
func BenchmarkRenderMenu(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := whatsapp.Render("6281234567890", benchMenu)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}

// benchInbox stores nothing; the embedded interface covers the methods the
// webhook does not call.
type benchInbox struct{ sigap.Inbox }

func (benchInbox) SaveDelivery(_ context.Context, d sigap.Delivery) (int, error) {
	return len(d.Messages), nil
}

// BenchmarkWebhookServeHTTP is the whole handler around a store that keeps
// nothing: read, verify, parse, acknowledge.
func BenchmarkWebhookServeHTTP(b *testing.B) {
	h := &whatsapp.Webhook{AppSecret: benchSecret, Offices: benchOffices, Inbox: benchInbox{}, Log: benchLog}
	sig := whatsapp.Sign(benchSecret, benchDelivery)
	b.SetBytes(int64(len(benchDelivery)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/whatsapp", bytes.NewReader(benchDelivery))
		req.Header.Set("X-Hub-Signature-256", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
