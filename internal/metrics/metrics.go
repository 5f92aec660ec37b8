// Package metrics holds SIGAP's Prometheus metrics. One Metrics value is made
// in cmd/sigap and handed to the parts that count; a nil *Metrics counts
// nothing, so tests need not make one.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the counters, gauges and histograms SIGAP exports.
type Metrics struct {
	reg *prometheus.Registry

	webhookRequests *prometheus.CounterVec
	webhookLatency  prometheus.Histogram
	inbound         prometheus.Counter
	duplicates      prometheus.Counter
	statuses        *prometheus.CounterVec
	sends           *prometheus.CounterVec
	sendLatency     prometheus.Histogram
	numberLocks     *prometheus.CounterVec
	takeovers       *prometheus.CounterVec
	notifications   *prometheus.CounterVec
}

// Queues reports how much work waits, read when metrics are scraped.
type Queues func(ctx context.Context) (inbox, outbox int, oldestOutbox time.Time, err error)

// New registers every metric, and the queue gauges read from queues.
func New(queues Queues) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{
		reg: reg,
		webhookRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigap_webhook_requests_total", Help: "Webhook POSTs by HTTP status answered.",
		}, []string{"code"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sigap_webhook_duration_seconds", Help: "Time to verify, store and acknowledge a delivery.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		inbound: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sigap_inbound_messages_total", Help: "New inbound messages stored.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sigap_inbound_duplicates_total", Help: "Redelivered inbound messages recognised by their wamid and not stored again.",
		}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigap_message_statuses_total", Help: "Statuses of sent messages reported by WhatsApp.",
		}, []string{"status"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigap_sends_total", Help: "Send attempts by result (sent, retry, failed) and Graph API error code (0: none or transport).",
		}, []string{"office", "result", "code"}),
		sendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sigap_send_duration_seconds", Help: "Graph API send call latency.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		numberLocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigap_lookup_number_locks_total", Help: "Application numbers locked after too many wrong birth dates from all senders together, by office.",
		}, []string{"office"}),
		takeovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sigap_takeovers_total", Help: "Inbound messages (kind message) and replies (kind reply) claimed after another claim on them ran out: its holder died or stalled.",
		}, []string{"kind"}),
	}
	f(m.webhookRequests)
	f(m.webhookLatency)
	f(m.inbound)
	f(m.duplicates)
	f(m.statuses)
	f(m.sends)
	f(m.sendLatency)
	f(m.numberLocks)
	f(m.takeovers)
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sigap_notifications_total", Help: "Stage-change notifications by office and outcome: text (free-form, inside the 24-hour window), template (the office's notifications.template), no_template (outside the window without one: recorded failed in the outbox, not sent), error (to be tried again).",
	}, []string{"office", "outcome"})
	f(m.notifications)
	if queues != nil {
		f(&queueCollector{queues: queues,
			inbox:  prometheus.NewDesc("sigap_inbox_depth", "Inbound messages stored and not yet answered.", nil, nil),
			outbox: prometheus.NewDesc("sigap_outbox_depth", "Replies waiting to be sent.", nil, nil),
			age:    prometheus.NewDesc("sigap_outbox_oldest_age_seconds", "Age of the oldest reply waiting to be sent.", nil, nil),
		})
	}
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Webhook records one webhook POST.
func (m *Metrics) Webhook(code int, took time.Duration) {
	if m == nil {
		return
	}
	m.webhookRequests.WithLabelValues(strconv.Itoa(code)).Inc()
	m.webhookLatency.Observe(took.Seconds())
}

// Inbound records new and duplicate inbound messages.
func (m *Metrics) Inbound(added, duplicates int) {
	if m == nil {
		return
	}
	if added > 0 {
		m.inbound.Add(float64(added))
	}
	if duplicates > 0 {
		m.duplicates.Add(float64(duplicates))
	}
}

// Status records a status report of a sent message.
func (m *Metrics) Status(status string) {
	if m == nil {
		return
	}
	m.statuses.WithLabelValues(status).Inc()
}

// Send records one send attempt; code is the Graph API error code, 0 if none.
func (m *Metrics) Send(office, result string, code int, took time.Duration) {
	if m == nil {
		return
	}
	m.sends.WithLabelValues(office, result, strconv.Itoa(code)).Inc()
	if took > 0 {
		m.sendLatency.Observe(took.Seconds())
	}
}

// NumberLocked records an application number locked at office after too
// many wrong birth dates.
func (m *Metrics) NumberLocked(office string) {
	if m == nil {
		return
	}
	m.numberLocks.WithLabelValues(office).Inc()
}

// Takeover kinds: what a claim took over from a claim that ran out.
const (
	TakeoverMessage = "message"
	TakeoverReply   = "reply"
)

// TakenOver records n messages or replies (kind TakeoverMessage or
// TakeoverReply) taken over from claims that ran out.
func (m *Metrics) TakenOver(kind string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.takeovers.WithLabelValues(kind).Add(float64(n))
}

type queueCollector struct {
	queues             Queues
	inbox, outbox, age *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inbox
	ch <- c.outbox
	ch <- c.age
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	inbox, outbox, oldest, err := c.queues(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.outbox, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.inbox, prometheus.GaugeValue, float64(inbox))
	ch <- prometheus.MustNewConstMetric(c.outbox, prometheus.GaugeValue, float64(outbox))
	age := 0.0
	if !oldest.IsZero() {
		age = time.Since(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}

// Notification records what became of one stage-change notification.
func (m *Metrics) Notification(office, outcome string) {
	if m == nil {
		return
	}
	m.notifications.WithLabelValues(office, outcome).Inc()
}
