package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
)

// holderNamer is a store whose claims name their holder
// (sqlstore.Store.SetHolder): the suite plays two replicas on one store
// by renaming it between claims.
type holderNamer interface {
	SetHolder(name string)
	Holder() string
}

// holderOf is the name s's claims carry, or "" if they carry none.
func holderOf(s sigap.Store) string {
	if h, ok := s.(holderNamer); ok {
		return h.Holder()
	}
	return ""
}

func offersRenewal(t *testing.T, s sigap.Store) (sigap.LeaseRenewer, holderNamer) {
	t.Helper()
	r, ok := s.(sigap.LeaseRenewer)
	h, named := s.(holderNamer)
	if !ok || !named {
		t.Skip("the store does not renew named claims (sigap.LeaseRenewer)")
	}
	return r, h
}

// A holder that renews its claims keeps them past their first lease; once
// it stops, they run out and another holder takes them over, naming it;
// its renewal then finds them gone. What it finished or gave back is not
// renewed.
func testRenewInbound(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	r, h := offersRenewal(t, s)
	msgs := []sigap.InboundMessage{msg("wamid.1", "62811", "halo"), msg("wamid.2", "62812", "halo"),
		msg("wamid.3", "62813", "halo"), msg("wamid.4", "62814", "halo")}
	if _, err := s.SaveDelivery(ctx, sigap.Delivery{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	h.SetHolder("a/1")
	const lease = 10 * time.Second
	claimed, err := s.ClaimInbound(ctx, t0, lease, 10)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claim: %+v, %v; want 4", claimed, err)
	}
	byID := map[string]sigap.InboundMessage{}
	for _, m := range claimed {
		byID[m.ID] = m
	}
	// wamid.3 is answered, wamid.4 given back to be retried later.
	if err := s.CompleteInbound(ctx, "wamid.3", sigap.Conversation{Office: "jakpus", User: "62813"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryInbound(ctx, byID["wamid.4"], t0.Add(40*time.Second)); err != nil {
		t.Fatal(err)
	}
	all := []string{"wamid.1", "wamid.2", "wamid.3", "wamid.4", "wamid.unknown"}
	held, until, err := r.RenewInbound(ctx, all, t0.Add(8*time.Second), lease)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(held)
	if !slices.Equal(held, []string{"wamid.1", "wamid.2"}) || !until.Equal(t0.Add(18*time.Second)) {
		t.Errorf("renewal: held %v until %v; want wamid.1 and wamid.2 until t0+18s", held, until.Sub(t0))
	}
	// Past the first lease, within the renewed one: nobody can claim them.
	h.SetHolder("b/2")
	if got, err := s.ClaimInbound(ctx, t0.Add(15*time.Second), lease, 10); err != nil || len(got) != 0 {
		t.Fatalf("claim within the renewed lease: %+v, %v; want none", got, err)
	}
	// a/1 renews wamid.1 alone, then dies: wamid.2's lease runs out first.
	h.SetHolder("a/1")
	if held, _, err := r.RenewInbound(ctx, []string{"wamid.1"}, t0.Add(16*time.Second), lease); err != nil || len(held) != 1 {
		t.Fatalf("second renewal: %v, %v", held, err)
	}
	h.SetHolder("b/2")
	got, err := s.ClaimInbound(ctx, t0.Add(20*time.Second), lease, 10)
	if err != nil || len(got) != 1 || got[0].ID != "wamid.2" || !got[0].TakenOver || got[0].TakenFrom != "a/1" {
		t.Fatalf("claim after wamid.2's lease: %+v, %v; want wamid.2 taken over from a/1", got, err)
	}
	h.SetHolder("a/1")
	held, _, err = r.RenewInbound(ctx, []string{"wamid.1", "wamid.2"}, t0.Add(21*time.Second), lease)
	if err != nil || !slices.Equal(held, []string{"wamid.1"}) {
		t.Errorf("renewal after the takeover: %v, %v; want wamid.1 alone (wamid.2 is b/2's)", held, err)
	}
	// b/2 renews what it took; and nothing is renewed with no ids.
	h.SetHolder("b/2")
	if held, _, err := r.RenewInbound(ctx, []string{"wamid.2"}, t0.Add(22*time.Second), lease); err != nil || len(held) != 1 {
		t.Errorf("the taker's renewal: %v, %v; want wamid.2", held, err)
	}
	if held, _, err := r.RenewInbound(ctx, nil, t0.Add(22*time.Second), lease); err != nil || len(held) != 0 {
		t.Errorf("renewal of nothing: %v, %v", held, err)
	}
}

// The same for replies; a renewed claim's end is what Release is given,
// and more claims than one statement names are renewed in one call.
func testRenewOutbound(t *testing.T, s sigap.Store) {
	ctx := context.Background()
	r, h := offersRenewal(t, s)
	s.(doubtWaiter).SetDoubtWait(time.Second)
	const n = 300
	storeReplies(t, s, "6281", n)
	h.SetHolder("a/1")
	const lease = 10 * time.Second
	now := time.Now().Add(time.Second)
	claimed, err := s.ClaimOutbound(ctx, now, lease, 1000)
	if err != nil || len(claimed) != n {
		t.Fatalf("claim: %d, %v; want %d", len(claimed), err, n)
	}
	ids := outboundIDs(claimed)
	// The first is sent, the second given back.
	if err := s.MarkSent(ctx, ids[0], "wamid.out.0", now); err != nil {
		t.Fatal(err)
	}
	if err := s.(sigap.ReleaseOutbound).Release(ctx, claimed[1]); err != nil {
		t.Fatal(err)
	}
	held, until, err := r.RenewOutbound(ctx, append(ids, -1), now.Add(8*time.Second), lease)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(held)
	if !slices.Equal(held, ids[2:]) || until.UnixMilli() != now.Add(18*time.Second).UnixMilli() {
		t.Fatalf("renewal: %d held until %v; want the %d not sent or given back, until now+18s", len(held), until.Sub(now), n-2)
	}
	h.SetHolder("b/2")
	if got, err := s.ClaimOutbound(ctx, now.Add(15*time.Second), lease, 1000); err != nil || len(got) != 1 || got[0].ID != ids[1] {
		t.Fatalf("claim within the renewed lease: %d, %v; want the one given back alone", len(got), err)
	}
	// Released under its renewed claim.
	h.SetHolder("a/1")
	third := claimed[2]
	third.LeaseEnds = until
	if err := s.(sigap.ReleaseOutbound).Release(ctx, third); err != nil {
		t.Fatal(err)
	}
	// a/1 dies: the rest are taken over, in doubt, once their lease and
	// the doubt wait are over.
	h.SetHolder("b/2")
	got, err := s.ClaimOutbound(ctx, now.Add(20*time.Second), lease, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n-2 {
		t.Fatalf("claim after the lease: %d; want %d", len(got), n-2)
	}
	for _, m := range got {
		wantFrom := "a/1"
		if m.ID == ids[2] {
			wantFrom = "" // released, not taken over
		}
		if m.TakenFrom != wantFrom || m.TakenOver != (wantFrom != "") {
			t.Fatalf("reply %d: taken over %v from %q; want from %q", m.ID, m.TakenOver, m.TakenFrom, wantFrom)
		}
	}
	h.SetHolder("a/1")
	if held, _, err := r.RenewOutbound(ctx, ids, now.Add(21*time.Second), lease); err != nil || len(held) != 0 {
		t.Errorf("renewal after the takeover: %d held, %v; want none", len(held), err)
	}
	h.SetHolder("b/2")
	if held, _, err := r.RenewOutbound(ctx, ids, now.Add(21*time.Second), lease); err != nil || len(held) != n-1 {
		t.Errorf("the taker's renewal: %d held, %v; want %d (with the one it claimed given back)", len(held), err, n-1)
	}
}
