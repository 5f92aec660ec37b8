package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigap-id/sigap"
)

// testBatchUpsert: UpsertApplications does what UpsertApplication does row
// by row, in order: the same results and refusals, the same applications
// and the same stage history, across batches larger than one statement,
// with a number repeated in a batch, older rows, office moves and invalid
// rows. Each row is run both ways, under two numbers.
func testBatchUpsert(t *testing.T, s sigap.Store) {
	many, ok := s.(sigap.BatchApplications)
	if !ok {
		t.Skip("the store takes no batches")
	}
	ctx := context.Background()
	const n = 260 // more rows than one INSERT (200) or UPDATE (100) statement takes
	base := func(i int) sigap.Application {
		a := app()
		a.Number = fmt.Sprintf("%016d", i)
		a.ApplicantName = fmt.Sprintf("Pemohon %d", i)
		return a
	}
	// Batch numbers start with 1, row-by-row numbers with 2.
	as := func(prefix byte, rows []sigap.Application) []sigap.Application {
		out := make([]sigap.Application, len(rows))
		for i, a := range rows {
			b := []byte(a.Number)
			b[0] = prefix
			a.Number = string(b)
			out[i] = a
		}
		return out
	}
	var first, second []sigap.Application
	for i := range n {
		first = append(first, base(i))
	}
	first = append(first,
		with(base(0), func(a *sigap.Application) { a.Stage, a.StageAt = sigap.StageAwaitingPayment, t0.Add(time.Hour) }), // inserted, then updated
		base(1), // unchanged
		with(base(2), func(a *sigap.Application) { a.Stage, a.StageAt = sigap.StageRegistered, t0.Add(-time.Hour) }), // history only
		with(base(3), func(a *sigap.Application) { a.ApplicantName = "" }),                                           // invalid
		with(base(4), func(a *sigap.Application) { a.Office = "mataram" }),                                           // another office
	)
	for i := range n + 10 {
		a := base(i)
		switch i % 5 {
		case 1:
			a.Stage, a.StageAt, a.Note = sigap.StagePaid, t0.Add(2*time.Hour), "lunas"
		case 2:
			a.Stage, a.StageAt = sigap.StageRegistered, t0.Add(-2*time.Hour)
		case 3:
			a.Office, a.ApplicantName = "mataram", "Siti Rahayu"
		case 4:
			a.ApplicantName = "Nama Baru"
		}
		second = append(second, a)
	}
	third := second[3:4:4]
	batches := []struct {
		rows []sigap.Application
		opts []sigap.UpsertOption
	}{
		// A batch of new applications first, so that the next (first) is
		// written guessing that none of its is stored, without reading
		// them; second then guesses wrong (most are stored) and is read
		// and decided again; second again reads at once.
		{[]sigap.Application{base(n + 9)}, nil},
		{first, nil}, {second, nil}, {second, nil}, {third, []sigap.UpsertOption{sigap.MoveOffice}},
	}

	type outcome struct {
		Result  sigap.UpsertResult
		Invalid bool
		Move    bool
	}
	summarize := func(r sigap.UpsertResult, err error) outcome {
		var me *sigap.OfficeMoveError
		if err != nil && !errors.Is(err, sigap.ErrInvalid) {
			t.Fatalf("not a refusal: %v", err)
		}
		return outcome{r, err != nil, errors.As(err, &me)}
	}
	for bi, b := range batches {
		got, err := many.UpsertApplications(ctx, as('1', b.rows), b.opts...)
		if err != nil {
			t.Fatalf("batch %d: %v", bi+1, err)
		}
		if len(got) != len(b.rows) {
			t.Fatalf("batch %d: %d outcomes for %d rows", bi+1, len(got), len(b.rows))
		}
		var gotSum, wantSum []outcome
		for i, a := range as('2', b.rows) {
			gotSum = append(gotSum, summarize(got[i].Result, got[i].Err))
			wantSum = append(wantSum, summarize(s.UpsertApplication(ctx, a, b.opts...)))
		}
		if diff := cmp.Diff(wantSum, gotSum); diff != "" {
			t.Errorf("batch %d: outcomes (-row by row +batch):\n%s", bi+1, diff)
		}
	}
	// Each number ends the same both ways: stored where it is, with its history.
	for i := range n + 10 {
		num := fmt.Sprintf("%016d", i)
		for _, office := range []string{"jakpus", "mataram"} {
			one, err1 := s.FindApplication(ctx, office, "2"+num[1:])
			got, err2 := s.FindApplication(ctx, office, "1"+num[1:])
			got.Number = one.Number
			if errors.Is(err1, sigap.ErrNotFound) != errors.Is(err2, sigap.ErrNotFound) || cmp.Diff(one, got) != "" {
				t.Errorf("%d at %s: row by row %+v, %v; batch %+v, %v", i, office, one, err1, got, err2)
			}
		}
		h1, err1 := s.ApplicationHistory(ctx, "2"+num[1:])
		h2, err2 := s.ApplicationHistory(ctx, "1"+num[1:])
		if err1 != nil || err2 != nil || cmp.Diff(h1, h2) != "" {
			t.Errorf("%d: history row by row %+v, %v; batch %+v, %v", i, h1, err1, h2, err2)
		}
	}
	// The row refused for its office is not stored; the moved one is.
	if a, err := s.FindApplication(ctx, "mataram", "1000000000000003"); err != nil || a.ApplicantName != "Siti Rahayu" {
		t.Errorf("moved: %+v, %v", a, err)
	}
	if a, err := s.FindApplication(ctx, "jakpus", "1000000000000000"); err != nil || a.Stage != sigap.StageAwaitingPayment {
		t.Errorf("inserted then updated in one batch: %+v, %v", a, err)
	}
	if got, err := s.CountApplications(ctx, ""); err != nil || got != 2*(n+10) {
		t.Errorf("CountApplications = %d, %v; want %d", got, err, 2*(n+10))
	}
	// An empty batch does nothing.
	if got, err := many.UpsertApplications(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("empty batch: %v, %v", got, err)
	}
}
