package whatsapp

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sigap-id/sigap"
)

// Limits of the Cloud API, counted in characters (runes), not bytes.
const (
	MaxTextRunes        = 4096
	MaxListRows         = 10
	MaxListButtonRunes  = 20
	MaxListHeaderRunes  = 60
	MaxListBodyRunes    = 1024
	MaxListFooterRunes  = 60
	MaxSectionTitle     = 24
	MaxRowTitleRunes    = 24
	MaxRowDescRunes     = 72
	MaxRowIDRunes       = 200
	maxSectionsPerList  = 10
	recipientTypeSingle = "individual"
)

// Outgoing is a Graph API message request body.
type Outgoing struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	To               string `json:"to,omitempty"`
	// Recipient replaces To for users known only by their business-scoped id.
	Recipient   string          `json:"recipient,omitempty"`
	Type        string          `json:"type"`
	Context     *OutContext     `json:"context,omitempty"`
	Text        *OutText        `json:"text,omitempty"`
	Interactive *OutInteractive `json:"interactive,omitempty"`
	Location    *Location       `json:"location,omitempty"`
	Template    *OutTemplate    `json:"template,omitempty"`
	// Status and TypingIndicator make a mark-as-read request.
	Status          string           `json:"status,omitempty"`
	MessageID       string           `json:"message_id,omitempty"`
	TypingIndicator *TypingIndicator `json:"typing_indicator,omitempty"`
	// BizOpaqueCallbackData is echoed in the send's status webhooks: the
	// reply's sigap.ReplyRef.
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

type OutTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	// Components fill the template's parameters: its body's, in order.
	Components []OutComponent `json:"components,omitempty"`
}

// OutComponent is a template component's parameters.
type OutComponent struct {
	Type       string         `json:"type"`
	Parameters []OutParameter `json:"parameters"`
}

// OutParameter is one template parameter.
type OutParameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type TypingIndicator struct {
	Type string `json:"type"`
}

// ReadReceipt marks an inbound message read and, with typing, shows the
// typing indicator until the reply arrives (or 25 seconds pass).
func ReadReceipt(wamid string, typing bool) Outgoing {
	m := Outgoing{MessagingProduct: "whatsapp", Status: "read", MessageID: wamid}
	if typing {
		m.TypingIndicator = &TypingIndicator{Type: "text"}
	}
	return m
}

type OutContext struct {
	MessageID string `json:"message_id"`
}

type OutText struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type OutInteractive struct {
	Type   string     `json:"type"`
	Header *OutHeader `json:"header,omitempty"`
	Body   OutBody    `json:"body"`
	Footer *OutBody   `json:"footer,omitempty"`
	Action OutAction  `json:"action"`
}

type OutHeader struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type OutBody struct {
	Text string `json:"text"`
}

type OutAction struct {
	Button   string              `json:"button"`
	Sections []sigap.ListSection `json:"sections"`
}

// Render turns one reply into the Graph API message that carries it. A list
// that breaks a Cloud API limit is sent as its plain-text fallback rather
// than refused by Meta; the returned error says why, for the log.
func Render(to string, r sigap.Reply) (Outgoing, error) {
	m := Outgoing{MessagingProduct: "whatsapp", RecipientType: recipientTypeSingle}
	if isPhoneNumber(to) {
		m.To = to
	} else {
		m.Recipient = to
	}
	switch {
	case r.Template != nil:
		m.Type = "template"
		m.Template = &OutTemplate{Name: r.Template.Name}
		m.Template.Language.Code = r.Template.Language
		if len(r.Template.Params) > 0 {
			body := OutComponent{Type: "body"}
			for _, p := range r.Template.Params {
				body.Parameters = append(body.Parameters, OutParameter{Type: "text", Text: p})
			}
			m.Template.Components = []OutComponent{body}
		}
		return m, nil
	case r.Location != nil:
		m.Type = "location"
		m.Location = &Location{Latitude: r.Location.Latitude, Longitude: r.Location.Longitude,
			Name: r.Location.Name, Address: r.Location.Address}
		return m, nil
	case r.List != nil:
		err := CheckList(*r.List)
		if err == nil {
			m.Type = "interactive"
			m.Interactive = listMessage(*r.List)
			return m, nil
		}
		m.Type, m.Text = "text", &OutText{Body: truncate(r.Text, MaxTextRunes)}
		return m, err
	}
	m.Type, m.Text = "text", &OutText{Body: truncate(r.Text, MaxTextRunes)}
	if utf8.RuneCountInString(r.Text) > MaxTextRunes {
		return m, fmt.Errorf("text of %d characters cut to %d", utf8.RuneCountInString(r.Text), MaxTextRunes)
	}
	return m, nil
}

func listMessage(l sigap.List) *OutInteractive {
	in := &OutInteractive{Type: "list", Body: OutBody{Text: l.Body}, Action: OutAction{Button: l.Button, Sections: l.Sections}}
	if l.Header != "" {
		in.Header = &OutHeader{Type: "text", Text: l.Header}
	}
	if l.Footer != "" {
		in.Footer = &OutBody{Text: l.Footer}
	}
	return in
}

// CheckList reports the first Cloud API limit a list breaks.
func CheckList(l sigap.List) error {
	n := utf8.RuneCountInString
	switch {
	case l.Body == "" || n(l.Body) > MaxListBodyRunes:
		return fmt.Errorf("list body has %d characters, want 1 to %d", n(l.Body), MaxListBodyRunes)
	case l.Button == "" || n(l.Button) > MaxListButtonRunes:
		return fmt.Errorf("list button %q: want 1 to %d characters", l.Button, MaxListButtonRunes)
	case n(l.Header) > MaxListHeaderRunes:
		return fmt.Errorf("list header %q: over %d characters", l.Header, MaxListHeaderRunes)
	case n(l.Footer) > MaxListFooterRunes:
		return fmt.Errorf("list footer %q: over %d characters", l.Footer, MaxListFooterRunes)
	case len(l.Sections) == 0 || len(l.Sections) > maxSectionsPerList:
		return fmt.Errorf("list has %d sections, want 1 to %d", len(l.Sections), maxSectionsPerList)
	}
	rows := 0
	for _, s := range l.Sections {
		if n(s.Title) > MaxSectionTitle || (len(l.Sections) > 1 && s.Title == "") {
			return fmt.Errorf("section title %q: want 1 to %d characters", s.Title, MaxSectionTitle)
		}
		for _, r := range s.Rows {
			rows++
			switch {
			case r.ID == "" || n(r.ID) > MaxRowIDRunes:
				return fmt.Errorf("row id %q: want 1 to %d characters", r.ID, MaxRowIDRunes)
			case r.Title == "" || n(r.Title) > MaxRowTitleRunes:
				return fmt.Errorf("row title %q: want 1 to %d characters", r.Title, MaxRowTitleRunes)
			case n(r.Description) > MaxRowDescRunes:
				return fmt.Errorf("row description %q: over %d characters", r.Description, MaxRowDescRunes)
			}
		}
	}
	if rows == 0 || rows > MaxListRows {
		return fmt.Errorf("list has %d rows, want 1 to %d", rows, MaxListRows)
	}
	return nil
}

// SplitText cuts text into pieces of at most limit characters, at line breaks
// where it can and at spaces otherwise, so a long answer arrives whole. No
// piece is empty or starts or ends with blank space.
func SplitText(text string, limit int) []string {
	limit = max(limit, 1)
	text = strings.Trim(text, " \n")
	var parts []string
	for utf8.RuneCountInString(text) > limit {
		cut := byteIndexOfRune(text, limit)
		head := text[:cut]
		if i := strings.LastIndex(head, "\n"); i > 0 {
			cut = i + 1
		} else if i := strings.LastIndex(head, " "); i > 0 {
			cut = i + 1
		}
		parts = append(parts, strings.TrimRight(text[:cut], " \n"))
		text = strings.TrimLeft(text[cut:], " \n")
	}
	if text != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}

func byteIndexOfRune(s string, n int) int {
	i := 0
	for pos := range s {
		if i == n {
			return pos
		}
		i++
	}
	return len(s)
}

func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return s[:byteIndexOfRune(s, max-1)] + "…"
}

// isPhoneNumber tells a wa_id (digits) from a business-scoped user id.
func isPhoneNumber(id string) bool {
	if id == "" {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
