// Package whatsapp is SIGAP's one place for the WhatsApp Cloud API: the
// webhook (handshake, signature, payload), the messages it carries, the Graph
// API client that sends replies, and how replies are rendered for it.
package whatsapp

// Delivery is one webhook POST body. Meta may batch many entries, changes
// and messages into one delivery.
type Delivery struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WhatsApp Business Account's part of a delivery.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one field's update; SIGAP reads the "messages" field.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value carries messages, statuses of sent messages and errors for one phone number.
type Value struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         Metadata  `json:"metadata"`
	Contacts         []Contact `json:"contacts"`
	Messages         []Message `json:"messages"`
	Statuses         []Status  `json:"statuses"`
	Errors           []Error   `json:"errors"`
}

// Metadata names the business phone number the change is for.
type Metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// Contact is the sender's profile. Users with a username may come with a
// business-scoped user id and no phone number.
type Contact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"`
}

// Message is one inbound message of any type.
type Message struct {
	From string `json:"from"`
	// FromUserID is the business-scoped user id, present for users with a
	// username and the only sender id when they hide their phone number.
	FromUserID  string       `json:"from_user_id"`
	ID          string       `json:"id"`
	Timestamp   string       `json:"timestamp"`
	Type        string       `json:"type"`
	Text        *Text        `json:"text"`
	Interactive *Interactive `json:"interactive"`
	Button      *Button      `json:"button"`
	Image       *Media       `json:"image"`
	Audio       *Media       `json:"audio"`
	Video       *Media       `json:"video"`
	Document    *Media       `json:"document"`
	Sticker     *Media       `json:"sticker"`
	Location    *Location    `json:"location"`
	Reaction    *Reaction    `json:"reaction"`
	Context     *Context     `json:"context"`
	Errors      []Error      `json:"errors"`
}

type Text struct {
	Body string `json:"body"`
}

type Interactive struct {
	Type        string `json:"type"`
	ButtonReply *Reply `json:"button_reply"`
	ListReply   *Reply `json:"list_reply"`
}

// Reply is the row or button an applicant tapped.
type Reply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type Button struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type Media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji"`
}

type Context struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

// Status reports what became of a message SIGAP sent.
type Status struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	Timestamp   string  `json:"timestamp"`
	RecipientID string  `json:"recipient_id"`
	Errors      []Error `json:"errors"`
	// BizOpaqueCallbackData echoes what the send carried (a sigap.ReplyRef).
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`
}

// Error is the Cloud API's error object, in webhooks and in Graph responses.
type Error struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}
