// Package stats works out the dashboard's figures from what the store
// keeps, for one office or all: messages per day and the share not
// understood (the day counts by service, package tally), the services
// asked for, chats handed to staff and open tickets by how long they have
// waited, the median time to staff's first answer of a ticket, and
// replies that failed for good by error code. Each figure covers what its
// table keeps: day counts 400 days, failed replies SIGAP_RETAIN_REPLIES
// (30 days), tickets until a year after they were handled.
package stats

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sigap-id/sigap"
)

// Store is what the dashboard reads.
type Store interface {
	sigap.UnplacedMessages
	sigap.Dashboard
}

// Count is a named number.
type Count struct {
	Name  string
	Count int64
}

// Age is a bucket of waiting things.
type Age struct {
	Label string // "<1h", "1-4h", …
	Count int
}

// Dashboard is every figure of the dashboard page.
type Dashboard struct {
	Office string // "" for every office
	Days   []string
	// Understood and NotUnderstood are messages per day (Days).
	Understood, NotUnderstood []float64
	Total, Unplaced           int64
	// Services are the services asked for in the period, most first
	// (without "unknown").
	Services []Count
	// Handovers and Tickets are what waits now, by age.
	Handovers, Tickets []Age
	OpenHandovers      int
	OpenTickets        int
	// FirstAnswer is the median time from a ticket's arrival to staff's
	// answer, over Answered tickets of the period; FirstAnswerExact says
	// whether the store records the first answer's time (otherwise the
	// ticket's last change stands for it).
	FirstAnswer      time.Duration
	Answered         int
	FirstAnswerExact bool
	// Failures are replies that failed for good, by error code.
	Failures []Count
}

// ShareUnplaced is the share of messages not understood, 0 to 1.
func (d Dashboard) ShareUnplaced() float64 {
	if d.Total == 0 {
		return 0
	}
	return float64(d.Unplaced) / float64(d.Total)
}

// maxTickets bounds the tickets read for the figures.
const maxTickets = 20000

// Build works out the dashboard of office ("" for all) for the days
// days up to now's day in loc.
func Build(ctx context.Context, s Store, office string, now time.Time, days int, loc *time.Location) (Dashboard, error) {
	if loc == nil {
		loc = time.UTC
	}
	d := Dashboard{Office: office}
	start := now.In(loc).AddDate(0, 0, -(days - 1))
	index := map[string]int{}
	for i := range days {
		day := start.AddDate(0, 0, i).Format(time.DateOnly)
		index[day] = i
		d.Days = append(d.Days, day)
	}
	d.Understood, d.NotUnderstood = make([]float64, days), make([]float64, days)
	counts, err := s.IntentDays(ctx, office, d.Days[0])
	if err != nil {
		return d, err
	}
	services := map[string]int64{}
	for _, c := range counts {
		i, ok := index[c.Day]
		if !ok {
			continue
		}
		d.Total += c.Count
		if c.Intent == "unknown" {
			d.NotUnderstood[i] += float64(c.Count)
			d.Unplaced += c.Count
			continue
		}
		d.Understood[i] += float64(c.Count)
		services[c.Intent] += c.Count
	}
	for name, n := range services {
		d.Services = append(d.Services, Count{name, n})
	}
	sortCounts(d.Services)

	handed, err := s.HandedOver(ctx, office, now)
	if err != nil {
		return d, err
	}
	var waits []time.Duration
	for _, c := range handed {
		waits = append(waits, now.Sub(c.HandoverSince))
	}
	d.OpenHandovers = len(handed)
	d.Handovers = bucket(waits, hourBuckets)

	since := now.AddDate(0, 0, -days)
	tickets, err := s.TicketTimesSince(ctx, office, since, maxTickets)
	if err != nil {
		return d, err
	}
	var open, answers []time.Duration
	exact := true
	for _, t := range tickets {
		done := t.State == sigap.TicketAnswered || t.State == sigap.TicketClosed
		if !done { // new or being worked on
			open = append(open, now.Sub(t.CreatedAt))
		}
		if t.CreatedAt.Before(since) {
			continue
		}
		switch {
		case !t.FirstAnsweredAt.IsZero():
			answers = append(answers, t.FirstAnsweredAt.Sub(t.CreatedAt))
		case done:
			// Answered or closed before its first answer was recorded:
			// its last change stands for it.
			answers = append(answers, t.UpdatedAt.Sub(t.CreatedAt))
			exact = false
		}
	}
	d.FirstAnswerExact = exact
	d.OpenTickets = len(open)
	d.Tickets = bucket(open, dayBuckets)
	d.Answered = len(answers)
	d.FirstAnswer = median(answers)

	fails, err := s.DeliveryFailures(ctx, office, since)
	if err != nil {
		return d, err
	}
	byCode := map[string]int64{}
	for _, f := range fails {
		byCode[ErrorCode(f.Error)] += f.Count
	}
	for code, n := range byCode {
		d.Failures = append(d.Failures, Count{code, n})
	}
	sortCounts(d.Failures)
	return d, nil
}

func sortCounts(cs []Count) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Count != cs[j].Count {
			return cs[i].Count > cs[j].Count
		}
		return cs[i].Name < cs[j].Name
	})
}

type span struct {
	label string
	upTo  time.Duration
}

var (
	hourBuckets = []span{{"<1 h", time.Hour}, {"1–4 h", 4 * time.Hour}, {"4–12 h", 12 * time.Hour}, {"12–24 h", 24 * time.Hour}, {">24 h", 1 << 62}}
	dayBuckets  = []span{{"<1 d", 24 * time.Hour}, {"1–3 d", 72 * time.Hour}, {"3–7 d", 7 * 24 * time.Hour}, {"7–14 d", 14 * 24 * time.Hour}, {">14 d", 1 << 62}}
)

func bucket(ds []time.Duration, spans []span) []Age {
	out := make([]Age, len(spans))
	for i, s := range spans {
		out[i].Label = s.label
	}
	for _, d := range ds {
		for i, s := range spans {
			if d < s.upTo {
				out[i].Count++
				break
			}
		}
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var codeRE = regexp.MustCompile(`code (\d+)`)

// ErrorCode is a failed reply's error as the chart groups it: the Graph
// API's error code when the error names one ("131026"), otherwise the
// error's first words.
func ErrorCode(err string) string {
	if m := codeRE.FindStringSubmatch(err); m != nil {
		return m[1]
	}
	words := strings.Fields(err)
	if len(words) > 4 {
		words = append(words[:4], "…")
	}
	if len(words) == 0 {
		return "?"
	}
	return strings.Join(words, " ")
}
