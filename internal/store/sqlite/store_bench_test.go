package sqlite_test

// Benchmarks of the store's hot operations on a real SQLite file with the
// settings sigap runs with (WAL, synchronous=FULL): what one message costs
// the database on its way through the gateway. No timed assertions: run
//
//	go test -run '^$' -bench . -benchmem ./internal/store/sqlite/

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/store/sqlstore"
)

func openBench(b *testing.B) *sqlstore.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchApps(n int) iter.Seq[sigap.Application] {
	return func(yield func(sigap.Application) bool) {
		for i := range n {
			a := sigap.Application{
				Number: fmt.Sprintf("1061%012d", i), Office: "jakpus", ApplicantName: "Pemohon Uji",
				BirthDate:    time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%9000),
				PassportType: sigap.PassportElectronic, Stage: sigap.StagePrinting,
				StageAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			}
			if !yield(a) {
				return
			}
		}
	}
}

// BenchmarkFindApplication looks up applications in a table of 10,000.
func BenchmarkFindApplication(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	const n = 10_000
	if _, err := s.BulkInsertApplications(ctx, benchApps(n), nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		number := fmt.Sprintf("1061%012d", (i*7919)%n)
		if _, err := s.FindApplication(ctx, "jakpus", number); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func inbound(i int) sigap.InboundMessage {
	return sigap.InboundMessage{ID: fmt.Sprintf("wamid.bench.%d", i), Office: "jakpus", From: fmt.Sprintf("62899%08d", i),
		At: time.Now(), Kind: sigap.KindText, Text: "halo"}
}

// BenchmarkSaveDelivery stores one delivery of one message per call, each
// in its own committed transaction (nobody to share one with).
func BenchmarkSaveDelivery(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{inbound(i)}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkSaveDeliveryParallel stores deliveries from many goroutines at
// once, as concurrent webhook requests do: they share commits.
func BenchmarkSaveDeliveryParallel(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{inbound(i)}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkInboxRoundTrip is one message's whole inbox life: stored,
// claimed, completed with one reply in the outbox, the reply claimed and
// marked sent.
func BenchmarkInboxRoundTrip(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m := inbound(i)
		i++
		if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
			b.Fatal(err)
		}
		got, err := s.ClaimInbound(ctx, time.Now(), time.Minute, 16)
		if err != nil || len(got) != 1 {
			b.Fatalf("claim inbound: %d, %v", len(got), err)
		}
		conv := sigap.Conversation{Office: m.Office, User: m.From, LastInboundAt: m.At}
		reply := sigap.OutboundMessage{Office: m.Office, To: m.From, InReplyTo: m.ID, Reply: sigap.Reply{Text: "Halo, selamat datang."}}
		if err := s.CompleteInbound(ctx, m.ID, conv, []sigap.OutboundMessage{reply}); err != nil {
			b.Fatal(err)
		}
		out, err := s.ClaimOutbound(ctx, time.Now(), time.Minute, 16)
		if err != nil || len(out) != 1 {
			b.Fatalf("claim outbound: %d, %v", len(out), err)
		}
		if err := s.MarkSent(ctx, out[0].ID, "wamid.sent", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimOutbound claims one waiting reply at a time from an outbox
// that already holds 2,000 sent ones: a write transaction of its own, so
// the figure is mostly the commit's fsync.
func BenchmarkClaimOutbound(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	enqueue := func(n int) {
		for i := range n {
			m := inbound(i)
			if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
				b.Fatal(err)
			}
			reply := sigap.OutboundMessage{Office: m.Office, To: m.From, InReplyTo: m.ID, Reply: sigap.Reply{Text: "Halo"}}
			if err := s.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: m.Office, User: m.From}, []sigap.OutboundMessage{reply}); err != nil {
				b.Fatal(err)
			}
		}
	}
	enqueue(2000)
	for {
		out, err := s.ClaimOutbound(ctx, time.Now(), time.Minute, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) == 0 {
			break
		}
		for _, m := range out {
			if err := s.MarkSent(ctx, m.ID, "wamid.x", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := inbound(1_000_000 + i)
		reply := sigap.OutboundMessage{Office: m.Office, To: m.From, InReplyTo: m.ID, Reply: sigap.Reply{Text: "Halo"}}
		if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{m}}); err != nil {
			b.Fatal(err)
		}
		if err := s.CompleteInbound(ctx, m.ID, sigap.Conversation{Office: m.Office, User: m.From}, []sigap.OutboundMessage{reply}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out, err := s.ClaimOutbound(ctx, time.Now(), time.Minute, 16)
		if err != nil || len(out) != 1 {
			b.Fatalf("claim outbound: %d, %v", len(out), err)
		}
		b.StopTimer()
		if err := s.MarkSent(ctx, out[0].ID, "wamid.y", time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
