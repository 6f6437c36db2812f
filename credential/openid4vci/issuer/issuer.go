package issuer

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/skip2/go-qrcode"
	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status/registry"
)

// Defaults of [Config].
const (
	DefaultConfigurationID   = "zkcred_person"
	DefaultOfferTTL          = 30 * time.Minute
	DefaultAccessTokenTTL    = 5 * time.Minute
	DefaultNonceTTL          = 5 * time.Minute
	DefaultMaxTxCodeAttempts = 5
	DefaultTxCodeLength      = 6
	DefaultValidFor          = 365 * 24 * time.Hour
	DefaultProofLeeway       = 30 * time.Second
)

// Config configures [New]. Zero durations and counts mean the
// Default* constants.
type Config struct {
	// CredentialIssuer is the Credential Issuer Identifier: an https URL
	// with a host and no path, query or fragment ("https://agency.example").
	// It is also the authorization server's issuer, and the base URL of
	// every endpoint the handler serves.
	CredentialIssuer string
	// InsecureAllowHTTP permits an http:// CredentialIssuer. Development
	// only.
	InsecureAllowHTTP bool
	// Issuer signs the credentials (both signatures); required.
	Issuer *credential.Issuer
	// Schema is the credential's attribute schema; required.
	Schema *credential.Schema
	// ConfigurationID names the credential configuration; empty means
	// DefaultConfigurationID.
	ConfigurationID string
	// Types are added after "VerifiableCredential" in the credential's type.
	Types []string
	// Display describes the issuer, CredentialDisplay the credential and
	// ClaimDisplay each attribute, in the metadata. All optional.
	Display           []openid4vci.Display
	CredentialDisplay []openid4vci.Display
	ClaimDisplay      map[string][]openid4vci.Display
	// Register is the source of truth; required. Rules are its checks.
	Register Register
	Rules    Rules
	// Registry draws the revocation ids (durably unique) and, when
	// StatusList is set, Bitstring Status List entries of list StatusList
	// published at StatusListURL; required.
	Registry                  *registry.Registry
	StatusList, StatusListURL string
	// StorePath is the bbolt file of the issuer's state (offers, codes,
	// access tokens, used nonces, issuances); required. One Issuer per file.
	StorePath string
	// OfferTTL bounds an offer's life (its pre-authorized code),
	// AccessTokenTTL an access token's, NonceTTL a c_nonce's (and so the
	// age of a proof's iat). ProofLeeway is the clock skew tolerated on a
	// proof's iat in the future.
	OfferTTL, AccessTokenTTL, NonceTTL, ProofLeeway time.Duration
	// MaxTxCodeAttempts wrong transaction codes lock an offer.
	MaxTxCodeAttempts int
	// TxCodeLength is the number of digits of the transaction code (4 to 12).
	// TxCodeDescription is shown by the wallet where it asks for the code
	// (at most 300 characters); empty means "The code the agency sent you
	// separately".
	TxCodeLength      int
	TxCodeDescription string
	// ValidFor is the validity of a credential whose record has no
	// ValidUntil.
	ValidFor time.Duration
	// Clock gives the time; nil means time.Now. Rand is the source of
	// codes, tokens, nonces and ids; nil means crypto/rand.
	Clock func() time.Time
	Rand  io.Reader
	// Logger receives each refused request at info level, each store or
	// register failure at error level and any other server error (signing)
	// at warn level, with the full error and the request id; nil discards.
	// Codes, PINs, tokens and attribute values are never logged (a
	// register record id may be); the client gets only the error code and
	// a fixed description.
	Logger *slog.Logger
	// Metrics, if not nil, registers the handler's Prometheus metrics
	// with it (see [Issuer.Handler]); New fails if they are already
	// registered there. Nil: no metrics.
	Metrics prometheus.Registerer
}

// Issuer is the issuer side of OpenID4VCI: the back office creates offers
// ([Issuer.CreateOffer]) and [Issuer.Handler] serves the protocol. It is
// safe for concurrent use. Close it to release its store.
type Issuer struct {
	cfg      Config
	db       *bolt.DB
	nonceKey []byte
	metadata []byte // credential issuer metadata JSON
	asMeta   []byte // authorization server metadata JSON
	log      *slog.Logger
	metrics  *issuerMetrics
}

// New validates cfg and opens the state store. Errors wrap
// [openid4vci.ErrConfig] or [openid4vci.ErrStore].
func New(cfg Config) (*Issuer, error) {
	bad := func(f string, a ...any) (*Issuer, error) {
		return nil, fmt.Errorf("%w: "+f, append([]any{openid4vci.ErrConfig}, a...)...)
	}
	if err := openid4vci.CheckIdentifier(cfg.CredentialIssuer, cfg.InsecureAllowHTTP); err != nil {
		return bad("CredentialIssuer: %v", err)
	}
	if u, _ := url.Parse(cfg.CredentialIssuer); u.Path != "" {
		return bad("CredentialIssuer %q has a path", cfg.CredentialIssuer)
	}
	if cfg.Issuer == nil || cfg.Issuer.JOSEKey == nil || cfg.Issuer.ZKKey == nil {
		return bad("no Issuer or issuer keys")
	}
	if err := cfg.Schema.Validate(); err != nil {
		return bad("Schema: %v", err)
	}
	if cfg.Register == nil || cfg.Registry == nil || cfg.StorePath == "" {
		return bad("Register, Registry and StorePath are required")
	}
	if (cfg.StatusList == "") != (cfg.StatusListURL == "") {
		return bad("StatusList and StatusListURL go together")
	}
	for _, name := range cfg.Rules.PastDates {
		if _, a, err := cfg.Schema.Slot(name); err != nil || a.Type != credential.TypeDate {
			return bad("Rules.PastDates: %q is not a date attribute of the schema", name)
		}
	}
	for name := range cfg.Rules.Allowed {
		if _, _, err := cfg.Schema.Slot(name); err != nil {
			return bad("Rules.Allowed: %q is not an attribute of the schema", name)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.OfferTTL, DefaultOfferTTL)
	def(&cfg.AccessTokenTTL, DefaultAccessTokenTTL)
	def(&cfg.NonceTTL, DefaultNonceTTL)
	def(&cfg.ProofLeeway, DefaultProofLeeway)
	def(&cfg.ValidFor, DefaultValidFor)
	if cfg.MaxTxCodeAttempts <= 0 {
		cfg.MaxTxCodeAttempts = DefaultMaxTxCodeAttempts
	}
	if cfg.TxCodeLength == 0 {
		cfg.TxCodeLength = DefaultTxCodeLength
	}
	if cfg.TxCodeLength < 4 || cfg.TxCodeLength > 12 {
		return bad("TxCodeLength %d outside 4..12", cfg.TxCodeLength)
	}
	if cfg.TxCodeDescription == "" {
		cfg.TxCodeDescription = "The code the agency sent you separately"
	}
	if utf8.RuneCountInString(cfg.TxCodeDescription) > 300 {
		return bad("TxCodeDescription over 300 characters")
	}
	if cfg.ConfigurationID == "" {
		cfg.ConfigurationID = DefaultConfigurationID
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	is := &Issuer{cfg: cfg, log: cfg.Logger}
	if is.log == nil {
		is.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if is.metrics, err = newMetrics(cfg.Metrics); err != nil {
		return nil, err
	}
	if is.metadata, is.asMeta, err = is.buildMetadata(); err != nil {
		return bad("metadata: %v", err)
	}
	if is.db, err = openStore(cfg.StorePath); err != nil {
		return nil, err
	}
	err = is.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if k := m.Get([]byte("nonce-key")); len(k) == 32 {
			is.nonceKey = append([]byte(nil), k...)
			return nil
		}
		is.nonceKey = make([]byte, 32)
		if _, err := io.ReadFull(cfg.Rand, is.nonceKey); err != nil {
			return err
		}
		return m.Put([]byte("nonce-key"), is.nonceKey)
	})
	if err != nil {
		is.db.Close()
		return nil, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	return is, nil
}

// Close closes the state store.
func (is *Issuer) Close() error { return is.db.Close() }

// Offer is a credential offer made by [Issuer.CreateOffer] for one
// register record.
type Offer struct {
	// ID names the offer; the offer is served by reference at
	// CredentialIssuer + "/offers/" + ID until it is redeemed or expires.
	ID string
	// Offer is the Credential Offer object; JSON its encoding.
	Offer openid4vci.CredentialOffer
	JSON  []byte
	// URI is the offer by reference:
	// openid-credential-offer://?credential_offer_uri=<https URL>.
	// ValueURI is the offer by value:
	// openid-credential-offer://?credential_offer=<JSON>.
	URI, ValueURI string
	// TxCode is the transaction code (PIN): send it to the citizen on
	// another channel than the offer (a letter, an SMS). It must be kept
	// secret; it is not part of the offer.
	TxCode string
	// ExpiresAt is when the pre-authorized code expires.
	ExpiresAt time.Time
}

// QRCode returns a PNG QR code of o.URI, size pixels wide.
func (o *Offer) QRCode(size int) ([]byte, error) {
	return qrcode.Encode(o.URI, qrcode.Medium, size)
}

// CreateOffer creates an offer for register record recordID: it checks
// that the record exists and validates (errors wrap [openid4vci.ErrUnknownRecord],
// also for an id that is not valid UTF-8, or
// [openid4vci.ErrInvalidRecord]; the record is checked again at issuance), draws a
// pre-authorized code and a numeric transaction code, and stores them
// (hashed) with the offer, single-use, for OfferTTL.
func (is *Issuer) CreateOffer(ctx context.Context, recordID string) (*Offer, error) {
	if !utf8.ValidString(recordID) {
		return nil, fmt.Errorf("%w: record id is not valid UTF-8", openid4vci.ErrUnknownRecord)
	}
	now := is.cfg.Clock()
	rec, err := is.cfg.Register.Record(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if _, _, _, err := validate(rec, is.cfg.Schema, &is.cfg.Rules, now, is.cfg.ValidFor); err != nil {
		return nil, err
	}
	id, err := is.random(16)
	if err != nil {
		return nil, err
	}
	code, err := is.random(32)
	if err != nil {
		return nil, err
	}
	pin, err := is.digits(is.cfg.TxCodeLength)
	if err != nil {
		return nil, err
	}
	o := &Offer{ID: id, TxCode: pin, ExpiresAt: now.Add(is.cfg.OfferTTL).UTC().Truncate(time.Second)}
	o.Offer = openid4vci.CredentialOffer{
		CredentialIssuer:           is.cfg.CredentialIssuer,
		CredentialConfigurationIDs: []string{is.cfg.ConfigurationID},
		Grants: openid4vci.Grants{PreAuthorizedCode: &openid4vci.PreAuthorizedCodeGrant{
			Code:   code,
			TxCode: &openid4vci.TxCode{InputMode: "numeric", Length: len(pin), Description: is.cfg.TxCodeDescription},
		}},
	}
	if o.JSON, err = marshal(o.Offer); err != nil {
		return nil, err
	}
	o.URI = openid4vci.OfferScheme + "://?credential_offer_uri=" + url.QueryEscape(is.cfg.CredentialIssuer+"/offers/"+id)
	o.ValueURI = openid4vci.OfferScheme + "://?credential_offer=" + url.QueryEscape(string(o.JSON))
	st := offerState{RecordID: recordID, TxHash: hashOf([]byte(id), []byte{0}, []byte(pin)), Expires: o.ExpiresAt, OfferJSON: o.JSON}
	err = is.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketOffers), []byte(id), st); err != nil {
			return err
		}
		return tx.Bucket(bucketCodes).Put(hashOf([]byte(code)), []byte(id))
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	return o, nil
}

// random returns n random bytes, base64url.
func (is *Issuer) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(is.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("%w: randomness: %w", openid4vci.ErrStore, err)
	}
	return b64.EncodeToString(b), nil
}

// digits returns n uniform random decimal digits.
func (is *Issuer) digits(n int) (string, error) {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(is.cfg.Rand, max)
	if err != nil {
		return "", fmt.Errorf("%w: randomness: %w", openid4vci.ErrStore, err)
	}
	s := v.String()
	return strings.Repeat("0", n-len(s)) + s, nil
}

// Issued returns the issuance record of the credential issued for an
// offer, or an error wrapping [openid4vci.ErrUnknownRecord] if none was issued. The
// back office revokes with its RevocationID (and StatusIndex).
func (is *Issuer) Issued(offerID string) (*Issuance, error) {
	var out *Issuance
	err := is.db.View(func(tx *bolt.Tx) error {
		var st offerState
		if ok, err := getJSON(tx.Bucket(bucketOffers), []byte(offerID), &st); err != nil || !ok || !st.Issued {
			return err
		}
		var r Issuance
		ok, err := getJSON(tx.Bucket(bucketIssued), st.Claim, &r)
		if ok {
			out = &r
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: no credential issued for offer %q", openid4vci.ErrUnknownRecord, truncate(offerID, 64))
	}
	return out, nil
}

// redeem runs the token endpoint: it checks the pre-authorized code and
// transaction code and returns a new access token. Wrong transaction codes
// are counted in the same transaction that checks them.
func (is *Issuer) redeem(code, pin string, hasPIN bool) (token string, expires time.Time, err error) {
	now := is.cfg.Clock()
	token, err = is.random(32)
	if err != nil {
		return "", time.Time{}, err
	}
	expires = now.Add(is.cfg.AccessTokenTTL)
	var refusal error
	err = is.db.Update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketCodes).Get(hashOf([]byte(code)))
		if id == nil {
			refusal = fmt.Errorf("%w: unknown pre-authorized code", openid4vci.ErrInvalidGrant)
			return nil
		}
		id = append([]byte(nil), id...)
		var st offerState
		if ok, err := getJSON(tx.Bucket(bucketOffers), id, &st); err != nil || !ok {
			return fmt.Errorf("offer of a code missing: %v", err)
		}
		switch {
		case st.Locked:
			refusal = fmt.Errorf("%w: %w", openid4vci.ErrInvalidGrant, openid4vci.ErrOfferLocked)
			return nil
		case st.Redeemed:
			refusal = fmt.Errorf("%w: pre-authorized code already used", openid4vci.ErrInvalidGrant)
			return nil
		case !now.Before(st.Expires):
			refusal = fmt.Errorf("%w: %w: pre-authorized code expired", openid4vci.ErrInvalidGrant, openid4vci.ErrExpired)
			return nil
		}
		if st.TxHash != nil {
			if !hasPIN {
				refusal = fmt.Errorf("%w: the offer requires a tx_code", openid4vci.ErrInvalidRequest)
				return nil
			}
			if subtle.ConstantTimeCompare(hashOf(id, []byte{0}, []byte(pin)), st.TxHash) != 1 {
				st.Attempts++
				refusal = &wrongTxCodeError{st.Attempts, is.cfg.MaxTxCodeAttempts}
				if st.Attempts >= is.cfg.MaxTxCodeAttempts {
					st.Locked, st.OfferJSON = true, nil
					refusal = fmt.Errorf("%w: %w", openid4vci.ErrInvalidGrant, openid4vci.ErrOfferLocked)
				}
				return putJSON(tx.Bucket(bucketOffers), id, st)
			}
		}
		st.Redeemed, st.OfferJSON = true, nil
		if err := putJSON(tx.Bucket(bucketOffers), id, st); err != nil {
			return err
		}
		th := hashOf([]byte(token))
		sweep(tx.Bucket(bucketTokens), th, tokenExpired(now))
		return putJSON(tx.Bucket(bucketTokens), th, tokenState{OfferID: string(id), Expires: expires})
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", openid4vci.ErrStore, err)
	}
	if refusal != nil {
		return "", time.Time{}, refusal
	}
	return token, expires, nil
}

// nonce returns a fresh c_nonce.
func (is *Issuer) nonce() (string, error) {
	return newNonce(is.nonceKey, is.cfg.Rand, is.cfg.Clock().Add(is.cfg.NonceTTL))
}

// tokenOffer returns the offer id an access token is bound to.
func (is *Issuer) tokenOffer(token string) (string, error) {
	var st tokenState
	var ok bool
	err := is.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketTokens), hashOf([]byte(token)), &st)
		return err
	})
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%w: unknown access token", openid4vci.ErrInvalidToken)
	}
	if !is.cfg.Clock().Before(st.Expires) {
		return "", fmt.Errorf("%w: %w: access token expired", openid4vci.ErrInvalidToken, openid4vci.ErrExpired)
	}
	return st.OfferID, nil
}

// issue runs the credential endpoint for a parsed request: see the
// package documentation, "Issuance". It returns the stored credential's
// JSON, identical for a retried request with the same proof JWT.
func (is *Issuer) issue(ctx context.Context, offerID string, req *openid4vci.CredentialRequest) ([]byte, error) {
	if req.ConfigurationID != is.cfg.ConfigurationID {
		return nil, fmt.Errorf("%w: %q", openid4vci.ErrUnknownConfiguration, truncate(req.ConfigurationID, 64))
	}
	proofJWT := req.Proofs.JWT[0]
	ph := hashOf([]byte(proofJWT))
	// A retry of an issued request returns the recorded credential.
	var prev Issuance
	var found bool
	if err := is.db.View(func(tx *bolt.Tx) error {
		var err error
		found, err = getJSON(tx.Bucket(bucketIssued), ph, &prev)
		return err
	}); err != nil {
		return nil, err
	}
	if found {
		if prev.OfferID != offerID {
			return nil, fmt.Errorf("%w: proof already used", openid4vci.ErrInvalidProof)
		}
		if prev.Pending {
			return nil, fmt.Errorf("%w: issuance for this proof did not complete; fetch a new nonce and retry", openid4vci.ErrInvalidNonce)
		}
		return prev.Credential, nil
	}
	now := is.cfg.Clock()
	p, err := openid4vci.VerifyProof(proofJWT, is.cfg.CredentialIssuer, now, is.cfg.NonceTTL+is.cfg.ProofLeeway, is.cfg.ProofLeeway)
	if err != nil {
		return nil, err
	}
	nonceExp, err := checkNonce(is.nonceKey, p.Nonce, now)
	if err != nil {
		return nil, err
	}
	var st offerState
	if err := is.db.View(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketOffers), []byte(offerID), &st)
		if err == nil && !ok {
			err = errors.New("offer of an access token missing")
		}
		return err
	}); err != nil {
		return nil, err
	}
	if st.Issued || st.Claim != nil {
		return nil, fmt.Errorf("%w: the offer's credential was already issued", openid4vci.ErrRequestDenied)
	}
	rec, err := is.cfg.Register.Record(ctx, st.RecordID)
	if err != nil {
		// Only the register's refusals deny the request; anything else
		// (a database outage) is a server error.
		if !errors.Is(err, openid4vci.ErrStore) &&
			(errors.Is(err, openid4vci.ErrUnknownRecord) || errors.Is(err, openid4vci.ErrInvalidRecord)) {
			return nil, fmt.Errorf("%w: %w", openid4vci.ErrRequestDenied, err)
		}
		if !errors.Is(err, openid4vci.ErrStore) {
			err = fmt.Errorf("%w: register: %w", openid4vci.ErrStore, err)
		}
		return nil, err
	}
	values, from, until, err := validate(rec, is.cfg.Schema, &is.cfg.Rules, now, is.cfg.ValidFor)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", openid4vci.ErrRequestDenied, err)
	}
	// Every check has passed; draw the ids and claim the offer.
	revID, err := is.cfg.Registry.NewRevocationID()
	if err != nil {
		return nil, err
	}
	var statusObj []credential.Object
	var statusIndex string
	if is.cfg.StatusList != "" {
		e, err := is.cfg.Registry.NewEntry(is.cfg.StatusList, "revocation", is.cfg.StatusListURL)
		if err != nil {
			return nil, err
		}
		statusObj, statusIndex = []credential.Object{e.Object()}, e.StatusListIndex
	}
	credID, err := is.uuidURN()
	if err != nil {
		return nil, err
	}
	rcd := Issuance{OfferID: offerID, RecordID: st.RecordID, CredentialID: credID, RevocationID: revID,
		StatusIndex: statusIndex, IssuedAt: now.UTC().Truncate(time.Second), Pending: true}
	var refusal error
	err = is.db.Update(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bucketNonces)
		nk := hashOf([]byte(p.Nonce))
		if nb.Get(nk) != nil {
			refusal = fmt.Errorf("%w: c_nonce already used", openid4vci.ErrInvalidNonce)
			return nil
		}
		var cur offerState
		if _, err := getJSON(tx.Bucket(bucketOffers), []byte(offerID), &cur); err != nil {
			return err
		}
		if cur.Issued || cur.Claim != nil {
			refusal = fmt.Errorf("%w: the offer's credential was already issued", openid4vci.ErrRequestDenied)
			return nil
		}
		sweep(nb, nk, nonceExpired(now))
		if err := nb.Put(nk, be64(uint64(nonceExp.Unix()))); err != nil {
			return err
		}
		cur.Claim = ph
		if err := putJSON(tx.Bucket(bucketOffers), []byte(offerID), cur); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketIssued), ph, rcd)
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	stored, err := is.cfg.Issuer.Issue(credential.IssueRequest{
		ID: credID, Schema: is.cfg.Schema, Values: values, HolderCommitment: p.Commitment,
		SubjectID: rec.SubjectID, ValidFrom: from, ValidUntil: until, Status: statusObj,
		RevocationID: revID, Types: is.cfg.Types,
	})
	var raw []byte
	if err == nil {
		raw, err = stored.MarshalJSON()
	}
	if err != nil {
		// Release the claim: nothing was delivered.
		_ = is.db.Update(func(tx *bolt.Tx) error {
			var cur offerState
			if _, err := getJSON(tx.Bucket(bucketOffers), []byte(offerID), &cur); err != nil {
				return err
			}
			cur.Claim = nil
			if err := putJSON(tx.Bucket(bucketOffers), []byte(offerID), cur); err != nil {
				return err
			}
			return tx.Bucket(bucketIssued).Delete(ph)
		})
		return nil, fmt.Errorf("openid4vci: issuing: %w", err)
	}
	rcd.Pending, rcd.Credential = false, raw
	err = is.db.Update(func(tx *bolt.Tx) error {
		var cur offerState
		if _, err := getJSON(tx.Bucket(bucketOffers), []byte(offerID), &cur); err != nil {
			return err
		}
		cur.Issued = true
		cur.OfferJSON = nil
		if err := putJSON(tx.Bucket(bucketOffers), []byte(offerID), cur); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketIssued), ph, rcd)
	})
	if err != nil {
		return nil, err
	}
	return raw, nil
}

func (is *Issuer) uuidURN() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(is.cfg.Rand, b[:]); err != nil {
		return "", fmt.Errorf("%w: randomness: %w", openid4vci.ErrStore, err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func be64(v uint64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
