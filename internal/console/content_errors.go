package console

import (
	"errors"

	"github.com/sigap-id/sigap"
)

func errorsIsNotFound(err error) bool { return errors.Is(err, sigap.ErrNotFound) }
