package verifier

import (
	"context"
	"errors"
	"time"

	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// States of an OpenID4VP request, as [Verifier.AuthorizationResult]
// reports them.
const (
	AuthorizationPending  = "pending"  // unanswered and unexpired
	AuthorizationAccepted = "accepted" // a response was verified and recorded
	AuthorizationExpired  = "expired"  // unanswered, and no longer answerable
)

// AuthorizationStatus is what a verifier application (typically the page
// that showed the QR code of a cross-device flow) may learn of one of its
// OpenID4VP requests from the Store. It holds no attribute value and
// nothing secret: the verified content of an accepted response is given
// once, to [Config.OnResponse] and to the response_uri's caller.
type AuthorizationStatus struct {
	RequestID  string    `json:"requestId"`
	State      string    `json:"state"` // AuthorizationPending, Accepted or Expired
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	AnsweredAt time.Time `json:"answeredAt,omitzero"` // when accepted
}

// AuthorizationResult returns the state of the OpenID4VP request id of
// [Verifier.NewAuthorizationRequest] as recorded in the Store by
// [Verifier.VerifyResponse]: pending, accepted (with the time) or expired.
// It works across instances that share the Store. Errors wrap
// [ErrUnknownRequest] (no such request, or not an OpenID4VP one) or
// [ErrStore].
//
// The Store keeps that a request was answered, not what was proven; an
// application that shows the verified result (the presentations'
// predicates, disclosed attributes and nullifiers, exactly what the
// request asked for) receives it through [Config.OnResponse].
func (v *Verifier) AuthorizationResult(ctx context.Context, id string) (*AuthorizationStatus, error) {
	if id == "" || len(id) > maxIDLen {
		return nil, ErrUnknownRequest
	}
	s, err := v.cfg.Store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if !isOpenID4VP(s.Body) {
		return nil, ErrUnknownRequest
	}
	st := &AuthorizationStatus{RequestID: s.ID, State: AuthorizationPending,
		CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
	switch {
	case !s.AnsweredAt.IsZero():
		st.State, st.AnsweredAt = AuthorizationAccepted, s.AnsweredAt.UTC()
	case !v.cfg.Now().Before(s.ExpiresAt):
		st.State = AuthorizationExpired
	}
	return st, nil
}

// notifyResponse calls Config.OnResponse, if set, for a response to one of
// this verifier's OpenID4VP requests: on success with its result, on
// failure with the error, but only when the response's state names a
// request this verifier issued (an unknown state reports nothing, so a
// stranger cannot make the application record noise under any id).
func (v *Verifier) notifyResponse(ctx context.Context, resp *openid4vp.Response, res *ResponseResult, err error) {
	if v.cfg.OnResponse == nil {
		return
	}
	if err == nil {
		v.cfg.OnResponse(ctx, res.RequestID, res, nil)
		return
	}
	if resp == nil || resp.State == "" || len(resp.State) > maxIDLen || errors.Is(err, ErrUnknownRequest) {
		return
	}
	s, gerr := v.cfg.Store.GetRequest(ctx, resp.State)
	if gerr != nil || !isOpenID4VP(s.Body) {
		return
	}
	v.cfg.OnResponse(ctx, s.ID, nil, err)
}
