package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sigap-id/sigap"
)

// memStore is an in-memory store of everything the bot keeps: it stands in
// for the SQL store, which the shared store suite tests. Ticket numbers
// come from a counter, so that golden files can name them.
type memStore struct {
	mu      sync.Mutex
	apps    map[[2]string]sigap.Application // office, number
	tickets map[[2]string]sigap.Ticket      // office, number
	seq     uint64
	subs    map[[2]string][]string
}

func newMemStore() *memStore {
	return &memStore{
		apps: map[[2]string]sigap.Application{}, tickets: map[[2]string]sigap.Ticket{},
		subs: map[[2]string][]string{},
	}
}

func (m *memStore) deps() Deps {
	return Deps{Applications: m, Directory: m, Tickets: m, Subscriptions: m, Guard: newMemGuard(m)}
}

func (m *memStore) add(a sigap.Application) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apps[[2]string{a.Office, a.Number}] = a
}

func (m *memStore) FindApplication(_ context.Context, office, number string) (sigap.Application, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.apps[[2]string{office, number}]; ok {
		return a, nil
	}
	return sigap.Application{}, fmt.Errorf("application %s at %s: %w", number, office, sigap.ErrNotFound)
}

func (m *memStore) FindApplicationAnywhere(_ context.Context, number string) (sigap.Application, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, a := range m.apps {
		if k[1] == number {
			return a, nil
		}
	}
	return sigap.Application{}, fmt.Errorf("application %s: %w", number, sigap.ErrNotFound)
}

func (m *memStore) UpsertApplication(_ context.Context, a sigap.Application, _ ...sigap.UpsertOption) (sigap.UpsertResult, error) {
	m.add(a)
	return sigap.Inserted, nil
}

func (m *memStore) ApplicationHistory(context.Context, string) ([]sigap.StageChange, error) {
	return nil, nil
}

func (m *memStore) CountApplications(_ context.Context, office string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k := range m.apps {
		if k[0] == office {
			n++
		}
	}
	return n, nil
}

func (m *memStore) CreateTicket(_ context.Context, t sigap.Ticket) (sigap.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, old := range m.tickets {
		if k[0] == t.Office && old.MessageID == t.MessageID && t.MessageID != "" {
			return old, nil
		}
	}
	m.seq++
	sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, m.seq))
	n, err := sigap.NewTicketNumber(bytes.NewReader(sum[:]))
	if err != nil {
		return t, err
	}
	t.Number, t.State = n, sigap.TicketOpen
	m.tickets[[2]string{t.Office, n}] = t
	return t, nil
}

func (m *memStore) FindTicket(_ context.Context, office, number string) (sigap.Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tickets[[2]string{office, number}]; ok {
		return t, nil
	}
	return sigap.Ticket{}, fmt.Errorf("ticket %s: %w", number, sigap.ErrNotFound)
}

func (m *memStore) AnswerTicket(_ context.Context, office, number, reply string, state sigap.TicketState, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[[2]string{office, number}]
	if !ok {
		return fmt.Errorf("ticket %s: %w", number, sigap.ErrNotFound)
	}
	t.Reply, t.State, t.UpdatedAt = reply, state, at
	m.tickets[[2]string{office, number}] = t
	return nil
}

func (m *memStore) ticketList() []sigap.Ticket {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sigap.Ticket
	for _, t := range m.tickets {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b sigap.Ticket) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out
}

func (m *memStore) Subscribe(_ context.Context, office, user, number string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{office, number}
	if !slices.Contains(m.subs[k], user) {
		m.subs[k] = append(m.subs[k], user)
	}
	return nil
}

func (m *memStore) Unsubscribe(_ context.Context, office, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, users := range m.subs {
		if k[0] == office {
			m.subs[k] = slices.DeleteFunc(users, func(u string) bool { return u == user })
		}
	}
	return nil
}

func (m *memStore) Subscribers(_ context.Context, office, number string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.subs[[2]string{office, number}]), nil
}

var (
	_ sigap.Applications         = (*memStore)(nil)
	_ sigap.ApplicationDirectory = (*memStore)(nil)
	_ sigap.Tickets              = (*memStore)(nil)
	_ sigap.Subscriptions        = (*memStore)(nil)
)
