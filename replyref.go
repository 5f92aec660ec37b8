package sigap

import (
	"strconv"
	"strings"
)

// ReplyRef names a reply in the outbox: its office and its id. A send
// carries it to the channel (the Cloud API's biz_opaque_callback_data), and
// the channel echoes it in the send's statuses, so that a reply whose send
// went out but whose answer was never recorded (the sender died, timed out)
// is recognised as sent by whichever replica receives its status, instead
// of being sent again. It holds nothing personal: an office code and a
// row number.
type ReplyRef struct {
	Office string
	ID     int64
}

// replyRefPrefix marks SIGAP's own callback data among any other.
const replyRefPrefix = "sigap:"

// String is the reference as sent: sigap:<office>:<id>.
func (r ReplyRef) String() string {
	return replyRefPrefix + r.Office + ":" + strconv.FormatInt(r.ID, 10)
}

// IsZero reports whether r names no reply.
func (r ReplyRef) IsZero() bool { return r.ID == 0 }

// ParseReplyRef reads what ReplyRef.String wrote; anything else (callback
// data of another sender, a mangled echo) is not a reference.
func ParseReplyRef(s string) (ReplyRef, bool) {
	rest, ok := strings.CutPrefix(s, replyRefPrefix)
	if !ok {
		return ReplyRef{}, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return ReplyRef{}, false
	}
	id, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != rest[i+1:] {
		return ReplyRef{}, false
	}
	return ReplyRef{Office: rest[:i], ID: id}, true
}
