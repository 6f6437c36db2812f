package did

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them
// (test with [errors.Is]); the message adds the context.
var (
	// ErrInvalidDID is returned when a string is not a DID by the DID Core
	// §3.1 ABNF, or is not valid for its method (resolution code "invalidDid").
	ErrInvalidDID = errors.New("did: invalid DID")
	// ErrInvalidDIDURL is returned when a string is not a DID URL by the DID
	// Core §3.2 ABNF (code "invalidDidUrl").
	ErrInvalidDIDURL = errors.New("did: invalid DID URL")
	// ErrNotFound is returned when a DID or a verification method does not
	// exist (code "notFound").
	ErrNotFound = errors.New("did: not found")
	// ErrMethodNotSupported is returned by a resolver asked for a DID method
	// it does not handle (code "methodNotSupported").
	ErrMethodNotSupported = errors.New("did: method not supported")
	// ErrRepresentationNotSupported is returned when a fetched document is
	// not in a supported representation (code "representationNotSupported").
	ErrRepresentationNotSupported = errors.New("did: representation not supported")
	// ErrInvalidKey is returned for key material that is malformed, off the
	// curve, outside the prime-order subgroup, of small order, or not in
	// canonical encoding (code "invalidPublicKey").
	ErrInvalidKey = errors.New("did: invalid public key")
	// ErrInvalidKeyLength is returned when raw key bytes have the wrong length
	// for their key type (code "invalidPublicKeyLength"). It matches
	// ErrInvalidKey too.
	ErrInvalidKeyLength error = &subError{"did: invalid public key length", ErrInvalidKey}
	// ErrUnsupportedKey is returned for a key type, multicodec, JWK curve or
	// verification method type this package does not handle
	// (code "unsupportedPublicKeyType").
	ErrUnsupportedKey = errors.New("did: unsupported public key type")
	// ErrInvalidDocument is returned when a DID document breaks a DID Core
	// rule (see [Document.Validate]) or does not match the DID it was
	// resolved for.
	ErrInvalidDocument = errors.New("did: invalid DID document")
	// ErrDuplicateID is returned (with ErrInvalidDocument) when two
	// verification methods or two services share an id.
	ErrDuplicateID = errors.New("did: duplicate id")
	// ErrPrivateKeyMaterial is returned (with ErrInvalidDocument or
	// ErrInvalidKey) when a JWK carries private members such as "d".
	ErrPrivateKeyMaterial = errors.New("did: private key material in public key")
	// ErrNotInRelationship is returned by [ResolveVerificationMethod] when the
	// method is not in the requested verification relationship.
	ErrNotInRelationship = errors.New("did: verification method not in relationship")
	// ErrWrongController is returned by [ResolveVerificationMethod] when the
	// method's controller is not the DID being resolved.
	ErrWrongController = errors.New("did: verification method has another controller")
	// ErrDeactivated is returned when the resolved DID is deactivated.
	ErrDeactivated = errors.New("did: DID deactivated")
	// ErrForbiddenAddress is returned by [WebResolver] for a host or a
	// connection address (loopback, private, link-local, unspecified, an IP
	// literal or localhost) that the configuration does not allow.
	ErrForbiddenAddress = errors.New("did: forbidden address")
	// ErrDocumentTooLarge is returned by [WebResolver] when the fetched
	// document exceeds the configured size limit.
	ErrDocumentTooLarge = errors.New("did: document too large")
	// ErrFetch is returned by [WebResolver] for transport failures,
	// redirects to another host and unexpected HTTP status codes.
	ErrFetch = errors.New("did: fetch failed")
)

// Resolution error codes of DID Core 1.0 §7.1.2, the DID Resolution
// specification and did:key v0.7.
const (
	CodeInvalidDID                 = "invalidDid"
	CodeInvalidDIDURL              = "invalidDidUrl"
	CodeNotFound                   = "notFound"
	CodeRepresentationNotSupported = "representationNotSupported"
	CodeMethodNotSupported         = "methodNotSupported"
	CodeInternalError              = "internalError"
	CodeInvalidPublicKey           = "invalidPublicKey"
	CodeInvalidPublicKeyLength     = "invalidPublicKeyLength"
	CodeUnsupportedPublicKeyType   = "unsupportedPublicKeyType"
	CodeInvalidDocument            = "invalidDidDocument"
)

// ResolutionError is the error returned by resolvers. Code is the DID
// resolution error code that goes into didResolutionMetadata.error; Err
// wraps the package sentinel, so errors.Is(err, ErrNotFound) works.
type ResolutionError struct {
	DID  string
	Code string
	Err  error
}

func (e *ResolutionError) Error() string {
	return fmt.Sprintf("did: resolve %q: %s: %v", truncate(e.DID, 128), e.Code, e.Err)
}

func (e *ResolutionError) Unwrap() error { return e.Err }

// codeFor maps an error to its resolution error code.
func codeFor(err error) string {
	switch {
	case errors.Is(err, ErrInvalidKeyLength):
		return CodeInvalidPublicKeyLength
	case errors.Is(err, ErrUnsupportedKey):
		return CodeUnsupportedPublicKeyType
	case errors.Is(err, ErrInvalidKey):
		return CodeInvalidPublicKey
	case errors.Is(err, ErrInvalidDIDURL):
		return CodeInvalidDIDURL
	case errors.Is(err, ErrInvalidDID):
		return CodeInvalidDID
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrMethodNotSupported):
		return CodeMethodNotSupported
	case errors.Is(err, ErrRepresentationNotSupported):
		return CodeRepresentationNotSupported
	case errors.Is(err, ErrInvalidDocument):
		return CodeInvalidDocument
	default:
		return CodeInternalError
	}
}

// resolutionError builds the (*Resolution, error) pair a resolver returns
// on failure: the resolution carries the error code and no document, as DID
// Core §7.1 requires.
func resolutionError(did string, err error) (*Resolution, error) {
	var re *ResolutionError
	if !errors.As(err, &re) {
		re = &ResolutionError{DID: did, Code: codeFor(err), Err: err}
	}
	return &Resolution{ResolutionMetadata: ResolutionMetadata{Error: re.Code}}, re
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// subError is a sentinel that also matches its parent sentinel.
type subError struct {
	msg    string
	parent error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.parent }
