package web

// StatusFor is the status code of a domain error (statusFor), for handlers
// mounted from other packages (the integration API), so that an error kind
// becomes the same code everywhere.
func StatusFor(err error) int { return statusFor(err) }
