package openid4vp

import "errors"

// Sentinel errors. Every error of this package wraps exactly one of them,
// sometimes with the error of the package that detected the problem (did,
// did/fetch, go-jose), so callers test with [errors.Is] and map them to the
// OpenID4VP error codes with [ErrorCode].
var (
	// ErrInvalidRequest is returned for an Authorization Request (the
	// openid4vp:// URI or a parameter of the Request Object) that breaks
	// OpenID4VP 1.0 or this profile: an unsupported Client Identifier
	// Prefix, a missing or malformed parameter, a response_uri that is not
	// https, both dcql_query and scope... Code invalid_request.
	ErrInvalidRequest = errors.New("openid4vp: invalid authorization request")
	// ErrInvalidRequestURIMethod is returned when request_uri_method is
	// neither "get" nor "post". Code invalid_request_uri_method.
	ErrInvalidRequestURIMethod = errors.New("openid4vp: invalid request_uri_method")
	// ErrInvalidRequestObject is returned for a Request Object that is not
	// a well-formed JWS of this profile: not three segments of canonical
	// base64url, a typ other than oauth-authz-req+jwt, an algorithm outside
	// the allow-list (none and HS256 included), a critical header, a
	// signature that does not verify with the key kid names, an aud other
	// than the Wallet's, a bad or missing iat/exp. Code invalid_request_object.
	ErrInvalidRequestObject = errors.New("openid4vp: invalid request object")
	// ErrExpired is returned, together with [ErrInvalidRequestObject], for a
	// Request Object outside its iat/exp window.
	ErrExpired = errors.New("openid4vp: request object expired or not yet valid")
	// ErrUnsignedRequest is returned for a request passed without a signed
	// Request Object where the Client Identifier Prefix requires one, and
	// for an unsigned (redirect_uri:) request the Wallet was not told to
	// allow. Code invalid_request.
	ErrUnsignedRequest = errors.New("openid4vp: unsigned request where a signed one is required")
	// ErrClientMismatch is returned when the client_id of the Request Object
	// differs from the one of the Authorization Request URI, when kid is not
	// a DID URL of the DID in client_id, or when a redirect_uri: client_id
	// is not the response_uri. Code invalid_client.
	ErrClientMismatch = errors.New("openid4vp: client identifier mismatch")
	// ErrClientKey is returned when kid does not resolve, by DID
	// resolution, to a verification method of the client's DID in the
	// required relationship. The did package's error is wrapped too; a
	// *did.ResolutionError with a network cause means "could not check,
	// retry". Code invalid_client.
	ErrClientKey = errors.New("openid4vp: kid does not resolve to a key of the client's DID")
	// ErrInvalidTransactionData is returned for a transaction_data item of
	// an unknown type, with unknown or missing members, or naming a
	// credential query the DCQL query does not have. Code
	// invalid_transaction_data.
	ErrInvalidTransactionData = errors.New("openid4vp: invalid transaction data")
	// ErrInvalidResponse is returned by [DecryptResponse] for a response
	// that is not a compact JWE of this profile, does not decrypt with the
	// verifier's key, or whose payload is not a strict Authorization
	// Response. The verifier answers HTTP 400 with code invalid_request.
	ErrInvalidResponse = errors.New("openid4vp: invalid authorization response")
	// ErrFetch is returned by [FetchRequestObject] when the Request Object
	// cannot be fetched (network, status, content type, size); the
	// did/fetch error is wrapped. It says "could not check", not "refused".
	ErrFetch = errors.New("openid4vp: could not fetch the request object")
)

// OpenID4VP 1.0 §8.5 and RFC 6749/RFC 9101 error codes.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidRequestObject    = "invalid_request_object"
	CodeInvalidRequestURIMethod = "invalid_request_uri_method"
	CodeInvalidTransactionData  = "invalid_transaction_data"
	CodeVPFormatsNotSupported   = "vp_formats_not_supported"
	CodeAccessDenied            = "access_denied"
	CodeServerError             = "server_error"
)

// ErrorCode returns the OpenID4VP error code a Wallet (or, for
// [ErrInvalidResponse], a Verifier) answers err with: the code of the first
// sentinel err wraps, or server_error ([ErrFetch] and unknown errors).
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrInvalidRequestURIMethod):
		return CodeInvalidRequestURIMethod
	case errors.Is(err, ErrInvalidTransactionData):
		return CodeInvalidTransactionData
	case errors.Is(err, ErrClientMismatch), errors.Is(err, ErrClientKey):
		return CodeInvalidClient
	case errors.Is(err, ErrInvalidRequestObject):
		return CodeInvalidRequestObject
	case errors.Is(err, ErrInvalidRequest), errors.Is(err, ErrUnsignedRequest), errors.Is(err, ErrInvalidResponse):
		return CodeInvalidRequest
	}
	return CodeServerError
}
