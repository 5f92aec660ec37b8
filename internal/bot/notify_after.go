package bot

import "github.com/sigap-id/sigap"

// subscribes reports whether a successful look-up subscribes the sender to
// the application's notifications: they opted in (#notif on), or their
// office subscribes after each look-up (notify_after_lookup) and they have
// not opted out (#notif off).
func (t *turn) subscribes(conv *sigap.Conversation) bool {
	return conv.Notify || t.office.Notifications.AfterLookup && !conv.NotifyOff
}
