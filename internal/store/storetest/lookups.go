package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/sigap-id/sigap"
)

// BenchLookups runs BenchmarkFindApplicationAt's look-ups (one in each
// engine's package) on s, a store of n applications numbered
// 1061000000000000 + i at office jakpus: found ones spread over the whole
// table (not the same pages each time), unknown numbers, and the
// office-less look-up.
func BenchLookups(b *testing.B, s sigap.Store, n int) {
	ctx := context.Background()
	b.Run("found", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := (i * 7_919_993) % n
			i++
			if _, err := s.FindApplication(ctx, "jakpus", fmt.Sprintf("1061%012d", k)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unknown", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.FindApplication(ctx, "jakpus", fmt.Sprintf("2061%012d", i)); err == nil {
				b.Fatal("found an unknown number")
			}
		}
	})
	b.Run("anywhere", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := (i * 7_919_993) % n
			i++
			if _, err := s.FindApplicationAnywhere(ctx, fmt.Sprintf("1061%012d", k)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
