package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/sigap-id/sigap/internal/whatsapp"
)

// referenceBot is the least a Cloud API bot can do: read the body, verify
// X-Hub-Signature-256, parse the JSON, acknowledge, then send one text reply
// over a keep-alive connection. No storage, no logic. The project's figures
// are given as a fraction of its figures under the same load on the same
// machine, which holds when the machine's speed does not.
type referenceBot struct {
	URL      string
	secret   string
	graphURL string
	token    string
	client   *http.Client
	srv      *http.Server
}

const referenceReply = "Terima kasih, pesan Anda sudah kami terima."

func startReference(secret, graphURL, token string, conns int) (*referenceBot, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &referenceBot{
		URL: "http://" + ln.Addr().String(), secret: secret, graphURL: graphURL, token: token,
		client: &http.Client{Timeout: 20 * time.Second, Transport: keepAliveTransport(conns)},
	}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln) //nolint:errcheck // ends with close
	return b, nil
}

func (b *referenceBot) close() {
	_ = b.srv.Close()
	b.client.CloseIdleConnections()
}

func (b *referenceBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, whatsapp.MaxBodyBytes))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if err := whatsapp.VerifySignature(b.secret, body, r.Header.Get("X-Hub-Signature-256")); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	d, err := whatsapp.ParseDelivery(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
	for _, e := range d.Entry {
		for _, ch := range e.Changes {
			for _, m := range ch.Value.Messages {
				go b.reply(ch.Value.Metadata.PhoneNumberID, m.From)
			}
		}
	}
}

func (b *referenceBot) reply(phoneID, to string) {
	body, _ := json.Marshal(whatsapp.Outgoing{MessagingProduct: "whatsapp", RecipientType: "individual", To: to,
		Type: "text", Text: &whatsapp.OutText{Body: referenceReply}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.graphURL+"/v23.0/"+phoneID+"/messages", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var sr struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&sr); err != nil && !errors.Is(err, io.EOF) {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
}

// keepAliveTransport keeps up to conns idle connections per host, so that
// every sender in flight reuses one instead of dialling.
func keepAliveTransport(conns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(conns, 100)
	t.MaxIdleConnsPerHost = max(conns, 2)
	t.IdleConnTimeout = 90 * time.Second
	return t
}
