package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/openid4vci/issuer"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// File layout of the data directory, version 2:
//
//	keys.age       the JOSE and ZK keys, age-encrypted (credential/agencykey; keys.go), mode 0600
//	registry.db    the credential/status revocation registry (its own bbolt layout)
//	openid4vci.db  the issuer.Issuer's state: offers, codes, access tokens,
//	               used nonces, issuances (its own bbolt layout)
//	register.json  the agency's register (issuer.RegisterFileFormat), created
//	               from the sample register.json beside this file if missing and
//	               -register is not given, mode 0600
//	admin.token    the bearer token of POST /admin/offers and POST /revoke, mode 0600
//
// Version 1 had issued.db (credentials issued by POST /credentials); it is
// no longer read. Version 2 had keys.json, the keys in plaintext: the
// issuer refuses it and "issuer migrate-keys" encrypts it into keys.age.

// sampleRegister is the register a new data directory starts with: a few
// fictional citizens.
//
//go:embed register.json
var sampleRegister []byte

// districts are the district codes the agency's register may hold
// (issuer.Rules.Allowed): a record with another district is refused.
var districts = []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}

// statusList is the name of the one Bitstring Status List this agency publishes.
const statusList = "1"

const maxBody = 64 << 10

type agency struct {
	did, baseURL     string
	joseKID, zkKID   string
	doc              *did.Document
	issuer           *credential.Issuer
	schema           *credential.Schema
	store            io.Closer // the registry's: bbolt, or PostgreSQL with -registry-pg
	sharedRegistry   bool      // -registry-pg: other instances may write
	reg              *registry.Registry
	register         *issuer.MemoryRegister
	oi               *issuer.Issuer // OpenID4VCI issuance
	adminToken       []byte
	log              *publicLog // publiclog.go
	validFor, listTT time.Duration
	logger           *slog.Logger
}

// writeNew creates name with mode 0600, failing if it exists.
func writeNew(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadAdminToken(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		t := make([]byte, 24)
		rand.Read(t)
		b = []byte(base64.RawURLEncoding.EncodeToString(t))
		if err := writeNew(name, b); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 16 {
		return nil, fmt.Errorf("%s: admin token shorter than 16 bytes", name)
	}
	return b, nil
}

func openAgency(o *options, domain, baseURL string, logger *slog.Logger) (_ *agency, err error) {
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, err
	}
	id, err := did.WebDID(domain)
	if err != nil {
		return nil, fmt.Errorf("-domain %q: %w", domain, err)
	}
	schema, err := credential.PersonSchema().WithSlots(o.slots)
	if err != nil {
		return nil, fmt.Errorf("-slots: %w", err)
	}
	kp, err := o.protection()
	if err != nil {
		return nil, err
	}
	joseKey, zkKey, err := loadKeys(o.data, kp)
	if err != nil {
		return nil, err
	}
	a := &agency{did: id, baseURL: baseURL, joseKID: id + "#jose-1", zkKID: id + "#zk-1", schema: schema,
		validFor: o.validFor, listTT: o.listTTL, logger: logger}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.adminToken, err = loadAdminToken(o.adminToken); err != nil {
		return nil, err
	}
	a.doc = &did.Document{Context: []any{did.ContextDIDv1}, ID: id}
	zkm, err := did.NewMultikeyMethod(a.zkKID, id, zkKey.Public())
	if err != nil {
		return nil, err
	}
	jm, err := did.NewMultikeyMethod(a.joseKID, id, joseKey.Public())
	if err != nil {
		return nil, err
	}
	if err := a.doc.AddVerificationMethod(jm, did.AssertionMethod); err != nil {
		return nil, err
	}
	if err := a.doc.AddVerificationMethod(zkm, did.AssertionMethod); err != nil {
		return nil, err
	}
	if err := addLogServices(a.doc, baseURL); err != nil { // publiclog.go
		return nil, err
	}
	a.issuer = &credential.Issuer{DID: id, JOSEKey: joseKey, JOSEKeyID: a.joseKID, ZKKey: zkKey, ZKKeyID: a.zkKID}
	var store registry.Store
	if o.registryPG != "" {
		// Several instances share it: one writes, the others serve reads
		// and take over when the writer's session ends.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		pg, err := registry.OpenPostgresStore(ctx, o.registryPG)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("-registry-pg: %w", err)
		}
		store, a.store, a.sharedRegistry = pg, pg, true
	} else {
		bolt, err := registry.OpenBoltStore(filepath.Join(o.data, "registry.db"))
		if err != nil {
			return nil, err
		}
		store, a.store = bolt, bolt
	}
	if a.reg, err = registry.Open(store, registry.Config{Depth: o.depth, Issuer: id, KeyID: a.joseKID, Signer: joseKey}); err != nil {
		return nil, err
	}
	if d := a.reg.Root().Depth; d != o.depth {
		return nil, fmt.Errorf("the registry in %s has depth %d, -revocation-depth is %d", o.data, d, o.depth)
	}
	witnesses, err := parseWitnesses(o.witnesses)
	if err != nil {
		return nil, err
	}
	if a.log, err = openPublicLog(context.Background(), a, o.data, joseKey, witnesses, strings.HasPrefix(baseURL, "http://")); err != nil {
		return nil, err
	}
	// Publish a fresh root for this DID now (it may have been down a while,
	// or started under another -domain); with -registry-pg, unless another
	// instance is the writer.
	if _, err := a.reg.RefreshRoot(); errors.Is(err, registry.ErrNotWriter) {
		logger.Info("issuer: another instance writes the revocation registry; this one serves reads and takes over if it stops")
	} else if err != nil {
		return nil, err
	}
	regFile := o.register
	if regFile == "" {
		regFile = filepath.Join(o.data, "register.json")
		if err := writeNew(regFile, sampleRegister); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
	}
	if a.register, err = issuer.LoadRegisterFile(regFile); err != nil {
		return nil, err
	}
	a.oi, err = issuer.New(issuer.Config{
		CredentialIssuer:  baseURL,
		InsecureAllowHTTP: strings.HasPrefix(baseURL, "http://"), // -tls-cert not given: local use
		Issuer:            a.issuer,
		Schema:            schema,
		Types:             []string{"ZkcredPersonCredential"},
		Display:           []openid4vci.Display{{Name: "zkcred example agency", Locale: "en"}},
		CredentialDisplay: []openid4vci.Display{{Name: "Person credential", Locale: "en", Description: "Birth date, district, nationality, driving licence and voter eligibility, as the agency's register holds them"}},
		Register:          a.register,
		Rules: issuer.Rules{
			PastDates: []string{"birthDate", "residentSince"},
			Allowed:   map[string][]string{"district": districts},
		},
		Registry:      a.reg,
		StatusList:    statusList,
		StatusListURL: a.statusListURL(),
		StorePath:     filepath.Join(o.data, "openid4vci.db"),
		ValidFor:      o.validFor,
		Logger:        logger,
		Metrics:       o.registerer(),
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *agency) Close() error {
	var errs []error
	if a.oi != nil {
		errs = append(errs, a.oi.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}

func (a *agency) statusListURL() string { return a.baseURL + "/status/" + statusList }

// refreshRoots re-signs the revocation root every interval until ctx ends;
// with -registry-pg it also catches up with the writer instance every two
// seconds.
func (a *agency) refreshRoots(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var syncC <-chan time.Time
	if a.sharedRegistry {
		s := time.NewTicker(2 * time.Second)
		defer s.Stop()
		syncC = s.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-syncC:
			if err := a.reg.Sync(); err != nil {
				a.logger.Error("issuer: syncing the revocation registry", "err", err)
			} else if err := a.log.publish(ctx, a.reg); err != nil {
				a.logger.Error("issuer: publishing the revocation log", "err", err)
			}
		case <-t.C:
			if _, err := a.reg.RefreshRoot(); errors.Is(err, registry.ErrNotWriter) {
				a.logger.Debug("issuer: not refreshing the revocation root: another instance writes it")
			} else if err != nil {
				a.logger.Error("issuer: refreshing the revocation root", "err", err)
			}
			if err := a.log.refresh(ctx, a.reg); err != nil {
				a.logger.Error("issuer: refreshing the revocation log's checkpoint", "err", err)
			}
		}
	}
}

// issueSample issues a credential outside OpenID4VCI, for -export: to a
// fresh holder secret that is discarded, from the first register record.
// It is not recorded (nobody holds it, so nobody revokes it).
func (a *agency) issueSample(recordID string) (*credential.Stored, string, error) {
	rec, err := a.register.Record(context.Background(), recordID)
	if err != nil {
		return nil, "", err
	}
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	rev, err := a.reg.NewRevocationID()
	if err != nil {
		return nil, "", err
	}
	entry, err := a.reg.NewEntry(statusList, "revocation", a.statusListURL())
	if err != nil {
		return nil, "", err
	}
	var u [16]byte
	rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	h := fmt.Sprintf("%x", u[:])
	id := "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	st, err := a.issuer.Issue(credential.IssueRequest{
		ID: id, Schema: a.schema, Values: rec.Values, HolderCommitment: secret.Commitment(),
		ValidUntil: time.Now().Add(a.validFor), Status: []credential.Object{entry.Object()},
		RevocationID: rev, Types: []string{"ZkcredPersonCredential"},
	})
	return st, id, err
}

// revoke revokes the credential issued for an offer: it adds its
// revocation id to the revocation tree (signing a new root) and sets its
// bit in the status list. It is idempotent. Errors wrap
// openid4vci.ErrUnknownRecord when nothing was issued for the offer.
func (a *agency) revoke(offerID string) (*issuer.Issuance, error) {
	iss, err := a.oi.Issued(offerID)
	if err != nil {
		return nil, err
	}
	if !a.reg.IsRevoked(iss.RevocationID) {
		if _, err := a.reg.Revoke(iss.RevocationID); err != nil && !errors.Is(err, status.ErrRevoked) {
			return nil, err
		}
	}
	// The public log follows the registry (a retry of an idempotent
	// revoke publishes what a failure left unpublished).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.log.publish(ctx, a.reg); err != nil {
		return nil, fmt.Errorf("publishing the revocation log: %w", err)
	}
	if iss.StatusIndex != "" {
		index, err := status.ParseStatusListIndex(iss.StatusIndex)
		if err != nil {
			return nil, err
		}
		if err := a.reg.SetStatus(statusList, index, true); err != nil {
			return nil, err
		}
	}
	return iss, nil
}

// handler serves the agency's endpoints. Any other path (404), another
// method (405, with Allow) or an unclean path (404, where ServeMux would
// redirect) gets a JSON {"error": ...} too, never ServeMux's plain text.
func (a *agency) handler() http.Handler {
	mux := &routedMux{ServeMux: http.NewServeMux(), routes: map[string]bool{}}
	docH, err := did.DocumentHandler(a.doc)
	if err != nil {
		panic("issuer: internal error: " + err.Error()) // the document was built and validated above
	}
	mux.Handle("GET /.well-known/did.json", docH)
	mux.Handle("GET /log/", a.log.handler()) // publiclog.go
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "zkcred issuer %s\n\n%s", a.did, strings.SplitN(usage, "\nThe DID", 2)[0])
	})
	// OpenID4VCI: metadata, offers by reference, token, nonce, credential.
	oh := a.oi.Handler()
	for _, p := range []string{
		"GET " + openid4vci.PathIssuerMetadata, "GET " + openid4vci.PathASMetadata,
		"GET " + openid4vci.PathOffers + "{id}", "POST " + openid4vci.PathToken,
		"POST " + openid4vci.PathNonce, "POST " + openid4vci.PathCredential,
		// CORS preflights of a browser wallet (examples/wallet), answered by oh.
		"OPTIONS " + openid4vci.PathToken, "OPTIONS " + openid4vci.PathNonce, "OPTIONS " + openid4vci.PathCredential,
	} {
		mux.Handle(p, oh)
	}
	mux.HandleFunc("POST /admin/offers", a.admin(a.handleCreateOffer))
	mux.HandleFunc("POST /revoke", a.admin(a.handleRevoke))
	mux.HandleFunc("GET /revocation/root", func(w http.ResponseWriter, r *http.Request) {
		write(w, "application/"+status.RootType, []byte(a.reg.SignedRoot()))
	})
	mux.HandleFunc("GET /revocation/snapshot", func(w http.ResponseWriter, r *http.Request) {
		b, err := a.reg.Snapshot().MarshalBinary()
		if err != nil {
			a.fail(w, r, http.StatusInternalServerError, err)
			return
		}
		write(w, "application/octet-stream", b)
	})
	mux.HandleFunc("GET /status/"+statusList, func(w http.ResponseWriter, r *http.Request) {
		tok, err := a.reg.StatusListCredential(statusList, "revocation", a.statusListURL(), a.listTT)
		if err != nil {
			a.fail(w, r, http.StatusInternalServerError, err)
			return
		}
		write(w, "application/"+credential.MediaTypeVCJWT, []byte(tok))
	})
	return http.MaxBytesHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p := mux.Handler(r); mux.routes[p] && r.URL.Path == cleanPath(r.URL.Path) {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		if r.URL.Path == cleanPath(r.URL.Path) {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
				probe := r.Clone(r.Context())
				probe.Method = m
				if _, p := mux.Handler(probe); mux.routes[p] {
					allow = append(allow, m)
				}
			}
		}
		if len(allow) == 0 {
			a.fail(w, r, http.StatusNotFound, errors.New("no such endpoint"))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("this path takes %s", strings.Join(allow, ", ")))
	}), maxBody)
}

// routedMux is a ServeMux that remembers its patterns, so that the
// requests it would answer itself (404, 405, redirects) can be told apart.
type routedMux struct {
	*http.ServeMux
	routes map[string]bool
}

func (m *routedMux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.routes[pattern] = true
}

func (m *routedMux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// cleanPath is p as ServeMux cleans it before matching (path.Clean,
// keeping a trailing slash).
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func write(w http.ResponseWriter, contentType string, b []byte) {
	// Public documents (revocation root and snapshot, status list): a
	// browser wallet of any origin may read them; no cookies are involved.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(b)
}

// fail answers with {"error": ...}; server-side details stay in the log.
func (a *agency) fail(w http.ResponseWriter, r *http.Request, code int, err error) {
	a.logger.InfoContext(r.Context(), "issuer: request refused", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	msg := err.Error()
	if code >= 500 {
		msg = http.StatusText(code)
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

// Every JSON document the issuer reads itself (back-office request bodies,
// keys.json) goes through unmarshalStrict: the library's strict JSON
// (did/strictjson, json v2 semantics), so duplicate member names are
// refused, also when they differ only by escaping ("record\u0049d");
// names match case-sensitively ("RECORDID" is not "recordId"); invalid
// UTF-8, lone surrogate escapes ("\ud800") and trailing data are refused;
// and so are unknown members. The register
// file is read by issuer.LoadRegisterFile under the same rules.
func unmarshalStrict(b []byte, v any) error { return strictjson.Unmarshal(b, v) }

var errContentType = errors.New("content type must be application/json")

// failBody answers a decodeBody error: 415 for the content type, 413 for
// a body over maxBody, 400 otherwise.
func (a *agency) failBody(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errContentType):
		a.fail(w, r, http.StatusUnsupportedMediaType, err)
	case errors.As(err, &tooLarge):
		a.fail(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", maxBody))
	default:
		a.fail(w, r, http.StatusBadRequest, err)
	}
}

// decodeBody reads a JSON body strictly (see unmarshalStrict) after checking
// the media type is application/json (a charset, if any, utf-8).
func decodeBody(r *http.Request, v any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errContentType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errContentType
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

// admin wraps a back-office handler: it requires the admin bearer token.
func (a *agency) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), a.adminToken) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="issuer admin"`)
			a.fail(w, r, http.StatusUnauthorized, errors.New("admin token required"))
			return
		}
		h(w, r)
	}
}

// offerRequest is the body of POST /admin/offers.
type offerRequest struct {
	RecordID string `json:"recordId"`
}

// offerResponse is the answer of POST /admin/offers: what the back office
// gives the citizen. The offer (URI or a QR code of it) may travel on any
// channel; the txCode (PIN) must go on another one.
type offerResponse struct {
	OfferID   string    `json:"offerId"`
	URI       string    `json:"uri"`      // openid-credential-offer://?credential_offer_uri=...
	ValueURI  string    `json:"valueUri"` // openid-credential-offer://?credential_offer=...
	TxCode    string    `json:"txCode"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (a *agency) handleCreateOffer(w http.ResponseWriter, r *http.Request) {
	var req offerRequest
	if err := decodeBody(r, &req); err != nil {
		a.failBody(w, r, err)
		return
	}
	o, err := a.oi.CreateOffer(r.Context(), req.RecordID)
	switch {
	case errors.Is(err, openid4vci.ErrUnknownRecord):
		a.fail(w, r, http.StatusNotFound, err)
		return
	case errors.Is(err, openid4vci.ErrInvalidRecord):
		a.fail(w, r, http.StatusUnprocessableEntity, err)
		return
	case err != nil:
		a.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	// The offer id is a capability (GET /offers/{id} gives the
	// pre-authorized code): the log gets a tag of it, not the id.
	a.logger.InfoContext(r.Context(), "issuer: offer created", "offer_tag", offerTag(o.ID), "record", req.RecordID, "expires", o.ExpiresAt)
	writeJSON(w, http.StatusCreated, offerResponse{OfferID: o.ID, URI: o.URI, ValueURI: o.ValueURI, TxCode: o.TxCode, ExpiresAt: o.ExpiresAt})
}

// offerTag names an offer in the log without its id: the first 16 hex
// digits of the id's SHA-256 (the back office, which holds the id, can
// compute it).
func offerTag(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:8])
}

// revokeRequest is the body of POST /revoke: the offer whose credential
// to revoke (the offerId POST /admin/offers returned).
type revokeRequest struct {
	OfferID string `json:"offerId"`
}

func (a *agency) handleRevoke(w http.ResponseWriter, r *http.Request) {
	var req revokeRequest
	if err := decodeBody(r, &req); err != nil {
		a.failBody(w, r, err)
		return
	}
	if req.OfferID == "" {
		a.fail(w, r, http.StatusBadRequest, errors.New("offerId is required"))
		return
	}
	iss, err := a.revoke(req.OfferID)
	switch {
	case errors.Is(err, openid4vci.ErrUnknownRecord):
		a.fail(w, r, http.StatusNotFound, errors.New("no credential was issued for this offer"))
		return
	case errors.Is(err, registry.ErrNotWriter): // -registry-pg: another instance writes
		a.fail(w, r, http.StatusServiceUnavailable, err)
		return
	case err != nil:
		a.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	root := a.reg.Root()
	a.logger.InfoContext(r.Context(), "issuer: credential revoked", "id", iss.CredentialID, "offer", req.OfferID, "sequence", root.Sequence)
	writeJSON(w, http.StatusOK, map[string]any{"credentialId": iss.CredentialID, "revocationId": iss.RevocationID, "statusListIndex": iss.StatusIndex, "sequence": root.Sequence})
}

// sampleRecord is the register record -export issues its sample
// credential from.
const sampleRecord = "citizen-1"

// export writes the agency's public artifacts and one sample credential
// (issued to a fresh, discarded holder secret) into dir.
func (a *agency) export(dir string, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	st, id, err := a.issueSample(sampleRecord)
	if err != nil {
		return err
	}
	docJSON, err := json.MarshalIndent(a.doc, "", "  ")
	if err != nil {
		return err
	}
	list, err := a.reg.StatusListCredential(statusList, "revocation", a.statusListURL(), a.listTT)
	if err != nil {
		return err
	}
	snap, err := a.reg.Snapshot().MarshalBinary()
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{"did.json", append(docJSON, '\n')},
		{"credential.jwt", []byte(st.JWT + "\n")},
		{"statuslist.jwt", []byte(list + "\n")},
		{"root.jwt", []byte(a.reg.SignedRoot() + "\n")},
		{"snapshot.bin", snap},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, filepath.Join(dir, f.name))
	}
	fmt.Fprintf(stdout, "issuer %s; sample credential %s\n", a.did, id)
	return nil
}
