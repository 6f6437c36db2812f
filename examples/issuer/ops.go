package main

import (
	"context"
	"fmt"
)

// ready reports whether the agency can issue and publish now: the
// OpenID4VCI state store and register answer (issuer.Issuer.Ready logs
// and counts their failures) and the revocation registry's store, when it
// can tell (PostgreSQL), answers a ping. Keys are loaded at start.
func (a *agency) ready(ctx context.Context) error {
	if err := a.oi.Ready(ctx); err != nil {
		return err
	}
	if p, ok := any(a.store).(interface{ Ping(context.Context) error }); ok {
		if err := p.Ping(ctx); err != nil {
			err = fmt.Errorf("revocation registry store: %w", err)
			a.logger.ErrorContext(ctx, "issuer: not ready", "err", err)
			return err
		}
	}
	return nil
}
