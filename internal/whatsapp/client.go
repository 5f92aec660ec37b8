package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client sends messages through the Graph API.
type Client struct {
	BaseURL string // WHATSAPP_GRAPH_URL, e.g. https://graph.facebook.com
	Version string // WHATSAPP_API_VERSION, e.g. v23.0
	HTTP    *http.Client
}

// NewClient returns a client with keep-alive connections and a timeout, so
// a hung Graph API cannot hold a sender forever.
func NewClient(baseURL, version string) *Client {
	// The default transport keeps two idle connections per host: with more
	// sends at once than that, every send beyond two dialled (and, over
	// TLS, shook hands) anew and left a closed connection behind.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleGraphConns
	t.MaxIdleConnsPerHost = maxIdleGraphConns
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"),
		Version: version,
		HTTP:    &http.Client{Timeout: 20 * time.Second, Transport: t},
	}
}

// maxIdleGraphConns bounds the idle connections kept to the Graph API:
// above the sends one process makes at once (the outbox sender's 128
// workers, and read receipts).
const maxIdleGraphConns = 160

// APIError is an error the Graph API answered with.
type APIError struct {
	HTTPStatus int
	Code       int
	Type       string
	Message    string
	Details    string
	TraceID    string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("graph api: HTTP %d, code %d: %s", e.HTTPStatus, e.Code, e.Message)
	if e.Details != "" {
		s += " (" + e.Details + ")"
	}
	return s
}

// Permanent reports whether sending the same message again cannot succeed
// (bad payload, outside the 24-hour window, undeliverable, token or policy
// problems). Throughput limits, pair limits and server trouble pass.
func (e *APIError) Permanent() bool {
	switch e.Code {
	case 130429, 131056, 131000, 131016, 1, 2, 131057, 4, 80007:
		return false
	}
	if e.Code == 0 && (e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests) {
		return false
	}
	return e.HTTPStatus < 500 || e.Code != 0
}

// RetryAfter is how long to wait before attempt number attempt+1 after
// this error, as Meta advises: 4^attempt seconds for the per-user pair
// limit, a minute for maintenance and call limits, and a doubling backoff
// with jitter otherwise.
func (e *APIError) RetryAfter(attempt int) time.Duration {
	switch e.Code {
	case 131056:
		d := time.Second
		for range min(attempt, 5) {
			d *= 4
		}
		return d
	case 131057, 4, 80007:
		return time.Minute
	}
	return 0 // the sender's default backoff
}

// ErrorCode returns the Graph API error code, for metrics.
func (e *APIError) ErrorCode() int { return e.Code }

// NeedsOperator reports errors that no retry fixes and a person must: an
// expired token, a policy block, a locked account.
func (e *APIError) NeedsOperator() bool {
	switch e.Code {
	case 190, 368, 131031, 130497, 0, 10:
		return e.HTTPStatus < 500 && e.HTTPStatus != http.StatusTooManyRequests
	}
	return e.Code >= 200 && e.Code <= 299
}

type sendResponse struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// Post sends a request that returns no message id (a read receipt).
func (c *Client) Post(ctx context.Context, phoneNumberID, token string, m Outgoing) error {
	_, err := c.do(ctx, phoneNumberID, token, m)
	return err
}

// Send posts one message from the business phone number and returns the
// wamid Meta gave it.
func (c *Client) Send(ctx context.Context, phoneNumberID, token string, m Outgoing) (string, error) {
	sr, err := c.do(ctx, phoneNumberID, token, m)
	if err != nil {
		return "", err
	}
	if len(sr.Messages) == 0 || sr.Messages[0].ID == "" {
		// Meta took the request but named no message: it probably went
		// out, so this is not worth a blind retry either.
		return "", &APIError{HTTPStatus: http.StatusOK, Code: -1, Message: "send response without a message id"}
	}
	return sr.Messages[0].ID, nil
}

func (c *Client) do(ctx context.Context, phoneNumberID, token string, m Outgoing) (*sendResponse, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	url := c.BaseURL + "/" + c.Version + "/" + phoneNumberID + "/messages"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("send: read response: %w", err)
	}
	var sr sendResponse
	jsonErr := json.Unmarshal(raw, &sr)
	if resp.StatusCode != http.StatusOK || sr.Error != nil {
		apiErr := &APIError{HTTPStatus: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
		if jsonErr == nil && sr.Error != nil {
			apiErr.Code, apiErr.Type, apiErr.Message = sr.Error.Code, sr.Error.Type, sr.Error.Message
			apiErr.Details, apiErr.TraceID = sr.Error.ErrorData.Details, sr.Error.FBTraceID
		}
		return nil, apiErr
	}
	if jsonErr != nil {
		return nil, &APIError{HTTPStatus: resp.StatusCode, Code: -1, Message: "unreadable response: " + string(raw)}
	}
	return &sr, nil
}
