package tlog

import (
	"context"
	"fmt"
	"net/url"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// DID document service types naming where an issuer publishes its logs.
// The serviceEndpoint is a JSON string: the https URL of the directory
// holding "checkpoint" and "tile/" (no query, no fragment, no trailing
// slash), as [NewClient] takes it.
const (
	RevocationLogService = "ZKCredRevocationLog"
	KeysLogService       = "ZKCredKeysLog"
)

// maxLogKeyCandidates bounds the Ed25519 assertionMethod keys
// [LogKeysFromDocument] returns.
const maxLogKeyCandidates = 8

// LogURL returns the base URL of issuer doc's log of kind: the
// serviceEndpoint of its one service of type [RevocationLogService] or
// [KeysLogService]. An http URL is accepted only with allowHTTP
// (development). Errors wrap [ErrNotFound] (no such service, or several)
// or [ErrInvalidOrigin] (an endpoint that is not an absolute URL string).
func LogURL(doc *did.Document, kind Kind, allowHTTP bool) (string, error) {
	typ := RevocationLogService
	if kind == KindKeys {
		typ = KeysLogService
	}
	if doc == nil {
		return "", fmt.Errorf("%w: no DID document", ErrNotFound)
	}
	var found []string
	for _, s := range doc.Service {
		for _, t := range s.Type {
			if t == typ {
				var ep string
				if err := strictjson.Unmarshal(s.ServiceEndpoint, &ep); err != nil {
					return "", fmt.Errorf("%w: %s service endpoint is not a URL string", ErrInvalidOrigin, typ)
				}
				found = append(found, ep)
			}
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("%w: %s has %d services of type %s, want one", ErrNotFound, truncate(doc.ID, 128), len(found), typ)
	}
	u, err := url.Parse(found[0])
	if err != nil || (u.Scheme != "https" && !(allowHTTP && u.Scheme == "http")) || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || len(found[0]) > 2048 ||
		(len(u.Path) > 0 && u.Path[len(u.Path)-1] == '/') {
		return "", fmt.Errorf("%w: %s endpoint %.200q is not an https URL without query, fragment or trailing slash", ErrInvalidOrigin, typ, found[0])
	}
	return found[0], nil
}

// LogKeysFromDocument returns the candidate keys of issuer's log origin
// from its DID document, resolved with r: the Ed25519 verification methods
// in assertionMethod (at most 8, in document order; other key types are
// skipped). A checkpoint is the log's if one of them verifies it (the
// signed-note key hash picks it). Errors wrap the did package's resolution
// errors, or [ErrUnsupportedKey] when none is Ed25519.
func LogKeysFromDocument(ctx context.Context, r did.Resolver, issuer, origin string) ([]*LogKey, *did.Document, error) {
	res, err := r.Resolve(ctx, issuer)
	if err != nil {
		return nil, nil, err
	}
	if res == nil || res.Document == nil {
		return nil, nil, fmt.Errorf("%w: no document for %.128q", did.ErrNotFound, issuer)
	}
	var keys []*LogKey
	for _, ref := range res.Document.References(did.AssertionMethod) {
		if len(keys) == maxLogKeyCandidates {
			break
		}
		id := ref.ID
		if ref.Method != nil {
			id = ref.Method.ID
		}
		abs := id
		if len(id) > 0 && id[0] == '#' {
			abs = issuer + id
		}
		vm, _, err := did.ResolveVerificationMethod(ctx, r, abs, did.AssertionMethod)
		if err != nil {
			continue
		}
		k, err := LogKeyFromMethod(origin, vm)
		if err != nil {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("%w: %.128q has no Ed25519 key in assertionMethod", ErrUnsupportedKey, issuer)
	}
	return keys, res.Document, nil
}
