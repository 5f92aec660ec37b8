// Package receiver is how a channel whose deliveries come to SIGAP over
// HTTP is joined to the public listener: a channel (sigap.Channel) that
// offers Receiver has its handler mounted by serve at the channel's own
// path, made of the office finder, inbox, metrics and log serve gives it.
// A new transport that receives this way implements Receiver in its own
// package; neither serve nor internal/web changes. (The root package, which
// imports no transport, cannot hold this interface.)
package receiver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/metrics"
)

// Prefix starts every receiver's path: the public listener serves without a
// credential only the channels' deliveries and health (the channels check
// their senders' proof themselves), and a proxy can expose the deliveries
// alone by this prefix.
const Prefix = "/webhooks/"

// Receiver is offered by a channel whose deliveries come in over HTTP (the
// Cloud API's webhook, at /webhooks/whatsapp).
type Receiver interface {
	// ReceivePath is the path its deliveries come in at on the public
	// listener: under Prefix, and no other channel's.
	ReceivePath() string
	// Receiver returns the handler of its deliveries, made of w. The
	// handler checks that a delivery comes from the channel, finds each
	// message's office with w.Offices, stores the delivery with w.Inbox and
	// acknowledges it only once it is stored.
	Receiver(w Wiring) http.Handler
}

// Wiring is what a receiver is made of.
type Wiring struct {
	// Offices finds the office a delivery names by the channel's address
	// for it (sigap.ChannelConfig.Address): the channel's offices only.
	Offices func(address string) (sigap.Office, bool)
	Inbox   Inbox
	Metrics *metrics.Metrics // nil counts nothing
	Log     *slog.Logger
}

// Inbox stores a delivery before it is acknowledged (the gateway's
// processor, which answers on arrival, does).
type Inbox interface {
	SaveDelivery(ctx context.Context, d sigap.Delivery) (added int, err error)
}

// Routes returns the receivers of the channels that offer one, by path,
// each made of wiring(its name). Two channels at one path, or a path
// outside Prefix, are an error.
func Routes(channels map[string]sigap.Channel, wiring func(channel string) Wiring) (map[string]http.Handler, error) {
	names := make([]string, 0, len(channels))
	for name := range channels {
		names = append(names, name)
	}
	slices.Sort(names)
	routes := map[string]http.Handler{}
	owner := map[string]string{}
	for _, name := range names {
		r, ok := channels[name].(Receiver)
		if !ok {
			continue
		}
		path := r.ReceivePath()
		if !strings.HasPrefix(path, Prefix) || len(path) == len(Prefix) || strings.ContainsAny(path, " {}") {
			return nil, fmt.Errorf("channel %q receives at %q: want a path of its own under %s", name, path, Prefix)
		}
		if other, taken := owner[path]; taken {
			return nil, fmt.Errorf("channels %q and %q both receive at %s", other, name, path)
		}
		owner[path] = name
		w := wiring(name)
		if w.Log == nil {
			w.Log = slog.Default()
		}
		routes[path] = r.Receiver(w)
	}
	return routes, nil
}
