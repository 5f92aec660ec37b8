package outbox_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigap-id/sigap"
	"github.com/sigap-id/sigap/internal/config"
	"github.com/sigap-id/sigap/internal/gateway"
	"github.com/sigap-id/sigap/internal/outbox"
	"github.com/sigap-id/sigap/internal/store/sqlite"
	"github.com/sigap-id/sigap/internal/whatsapp"
)

// wordChannel is a second transport: it carries one word a message, and
// records what it sends.
type wordChannel struct {
	mu   sync.Mutex
	sent []string
}

func (c *wordChannel) Split(r sigap.Reply) []sigap.Reply {
	var out []sigap.Reply
	for _, w := range strings.Fields(r.Text) {
		out = append(out, sigap.Reply{Text: w})
	}
	return out
}
func (c *wordChannel) Prepare(_ sigap.Office, m sigap.OutboundMessage, _ time.Time) (sigap.OutboundMessage, error) {
	return m, nil
}
func (c *wordChannel) Budget(o sigap.Office) (string, int) { return "word/" + o.Code, 1000 }
func (c *wordChannel) Ready(sigap.Office) error            { return nil }
func (c *wordChannel) Send(_ context.Context, o sigap.Office, m sigap.OutboundMessage) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, o.Code+":"+m.To+":"+m.Reply.Text)
	return "word." + m.Reply.Text, nil
}
func (c *wordChannel) Classify(error, int) sigap.SendFailure { return sigap.SendFailure{} }
func (c *wordChannel) MarkRead(context.Context, sigap.Office, sigap.InboundMessage) error {
	return nil
}

type echoBot struct{}

func (echoBot) Handle(_ context.Context, _ sigap.Office, conv sigap.Conversation, m sigap.InboundMessage) ([]sigap.Reply, sigap.Conversation, error) {
	return []sigap.Reply{{Text: "you wrote " + m.Text}}, conv, nil
}
func (echoBot) Apology(string) sigap.Reply { return sigap.Reply{Text: "maaf"} }

// TestASecondChannel: an office whose offices file entry names channel:
// test gets its replies split by that channel's rule and sent through it;
// the gateway, the outbox and the offices file know no more of it than its
// name, and the office needs no Cloud API settings (whatsapp:).
func TestASecondChannel(t *testing.T) {
	ctx := context.Background()
	words := &wordChannel{}
	const file = `offices:
  - code: uji
    name: Kantor Uji
    channel: test
`
	offices, err := config.ParseOffices("offices.yaml", []byte(file), func(string) string { return "" },
		map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}, "test": words})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.ParseOffices("offices.yaml", []byte(file), func(string) string { return "" },
		map[string]sigap.Channel{whatsapp.ChannelName: &whatsapp.Channel{}}); err == nil || !strings.Contains(err.Error(), `line 4: office "uji": channel "test" is not known (want cloud_api)`) {
		t.Errorf("a channel this SIGAP does not know: %v", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sigap.db"), sqlite.Options{Migrate: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	channels := func(name string) (sigap.Channel, bool) { return words, name == "test" }
	p := gateway.NewProcessor(gateway.Options{Store: s, Bot: echoBot{}, Offices: offices.ByCode, Channels: channels})
	snd := outbox.NewSender(outbox.Options{Outbox: s, Channels: channels, Offices: offices.ByCode})
	if _, err := p.SaveDelivery(ctx, sigap.Delivery{Messages: []sigap.InboundMessage{
		{ID: "t.1", Office: "uji", From: "628111", Kind: sigap.KindText, Text: "apa kabar", At: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ProcessBatch(ctx, 10); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if n, err := snd.SendBatch(ctx, 10); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	want := []string{"uji:628111:you", "uji:628111:wrote", "uji:628111:apa", "uji:628111:kabar"}
	if strings.Join(words.sent, " ") != strings.Join(want, " ") {
		t.Errorf("sent through the test channel %q, want %q", words.sent, want)
	}
}
