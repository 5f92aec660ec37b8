package sigap

import (
	"context"
	"time"
)

// Subscriptions records who asked (#notif on) to be told when an
// application changes stage. Only applications the sender looked up
// successfully, birth date checked, are ever subscribed.
type Subscriptions interface {
	// Subscribe adds user to number's subscribers at office; doing it again
	// changes nothing.
	Subscribe(ctx context.Context, office, user, number string, at time.Time) error
	// Unsubscribe removes every subscription of user at office.
	Unsubscribe(ctx context.Context, office, user string) error
	// Subscribers lists the users subscribed to number at office.
	Subscribers(ctx context.Context, office, number string) ([]string, error)
}

// ApplicationDirectory finds an application whatever its office, for an
// office that names the handling office instead of saying "not found".
type ApplicationDirectory interface {
	// FindApplicationAnywhere returns the application with that number, or
	// an error wrapping ErrNotFound.
	FindApplicationAnywhere(ctx context.Context, number string) (Application, error)
}
