package main

import (
	"net/http"

	"github.com/zkcred/zkcred/examples/internal/serve"
	"github.com/zkcred/zkcred/verifier"
)

// fail answers one of the page's own endpoints with err, as
// verifier.Handler answers its own: the status and code of
// verifier.ErrorCode, the error's text for a refusal, only the status text
// for a server-side failure (a store error's detail stays in the log). It
// logs a refusal once at info and a failure at error, with the request id.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := verifier.ErrorCode(err)
	msg := err.Error()
	args := []any{"request_id", r.Header.Get(serve.RequestIDHeader), "method", r.Method, "path", r.URL.Path,
		"status", status, "code", code, "err", err}
	if status >= 500 {
		msg = http.StatusText(status)
		a.logger.ErrorContext(r.Context(), "verifier: page request failed", args...)
	} else {
		a.logger.InfoContext(r.Context(), "verifier: page request refused", args...)
	}
	writeJSON(w, status, verifier.ErrorBody{Code: code, Message: msg})
}
