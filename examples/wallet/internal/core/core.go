// Package core is the logic of the browser wallet (examples/wallet): it
// receives credentials over OpenID4VCI, keeps the issuers' revocation data
// in sync on its own schedule, loads circuit keys from a checked bundle or
// from its fast cache, and answers OpenID4VP requests after consent,
// reporting every outcome in plain words. It builds natively (tests,
// benchmarks) and for js/wasm, where package wasm wraps it for the page.
//
// The core keeps nothing itself: the page stores what it returns (the
// holder secret, credential entries, issuer data, the key cache) in the
// browser and hands it back on start.
package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// Limits of what the wallet reads from issuers and verifiers: the largest
// files are DID documents and Request Objects (a revocation log's tiles,
// entry bundles and subtree chunks are at most 8 KiB each).
const (
	maxResponse  = 4 << 20
	fetchTimeout = 30 * time.Second
	// MaxKeyBundle bounds a key bundle or cache the wallet accepts.
	MaxKeyBundle = 256 << 20
)

// EntryVersion is the version of a stored credential entry (the format
// the command-line holder uses for its files).
const EntryVersion = "zkcred-wallet-entry-v1"

// Entry is one credential as the wallet stores it.
type Entry struct {
	Version   string             `json:"version"`
	IssuerURL string             `json:"issuerUrl"`
	ID        string             `json:"id"`
	Stored    *credential.Stored `json:"credential"`
}

// Config configures a [Wallet].
type Config struct {
	// InsecureLocal lets the wallet fetch over plain http:// from this
	// machine and resolve did:web over http on loopback: development only.
	InsecureLocal bool
	// KeysSHA256 is the pinned SHA-256 of the key bundle (hex), and
	// Fingerprint the pinned verifying key fingerprint (hex), both
	// published with the wallet.
	KeysSHA256, Fingerprint string
	// Witnesses are the verifier keys (tlog.ParseWitnessKey) of the
	// witnesses whose cosignatures the wallet counts on an agency's
	// revocation checkpoints, and Quorum how many it requires (0: none,
	// development only: an agency could then show this wallet a log of
	// its own without being caught).
	Witnesses []string
	Quorum    int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Wallet is the wallet's state in memory. It is safe for concurrent use.
type Wallet struct {
	cfg   Config
	fetch *fetch.Client
	// logFetch reads revocation logs: at most maxLogResponse a response,
	// as a sync keeps hundreds of requests in flight.
	logFetch *fetch.Client
	resolver did.Resolver // network resolver

	mu      sync.Mutex
	secret  *credential.HolderSecret
	entries []*Entry
	issuers map[string]*IssuerData // by issuer URL
	logs    map[string]*issuerLog  // by issuer URL
	keys    *zkp.Keys
	split   zkp.SplitStart // SetSplit

	witnesses []*tlog.WitnessKey
	syncMu    sync.Mutex // held by Sync
}

// New returns a wallet with cfg.
func New(cfg Config) (*Wallet, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.KeysSHA256 != "" {
		if b, err := hex.DecodeString(cfg.KeysSHA256); err != nil || len(b) != 32 {
			return nil, errors.New("wallet: KeysSHA256 is not 64 hex digits")
		}
	}
	if cfg.Fingerprint != "" {
		if b, err := hex.DecodeString(cfg.Fingerprint); err != nil || len(b) != 32 {
			return nil, errors.New("wallet: Fingerprint is not 64 hex digits")
		}
	}
	wks, err := parseWitnessKeys(cfg.Witnesses, cfg.Quorum)
	if err != nil {
		return nil, err
	}
	fc, err := fetch.New(&fetch.Config{Timeout: fetchTimeout, MaxBytes: maxResponse,
		InsecureAllowHTTP: cfg.InsecureLocal, InsecureAllowPrivateAddresses: cfg.InsecureLocal})
	if err != nil {
		return nil, err
	}
	lc, err := fetch.New(&fetch.Config{Timeout: fetchTimeout, MaxBytes: maxLogResponse,
		InsecureAllowHTTP: cfg.InsecureLocal, InsecureAllowPrivateAddresses: cfg.InsecureLocal})
	if err != nil {
		return nil, err
	}
	var res did.Resolver
	if cfg.InsecureLocal {
		res, err = did.NewInsecureLocalResolver()
	} else {
		res, err = did.NewResolver(nil)
	}
	if err != nil {
		return nil, err
	}
	return &Wallet{cfg: cfg, fetch: fc, logFetch: lc, resolver: res, issuers: map[string]*IssuerData{}, logs: map[string]*issuerLog{}, witnesses: wks}, nil
}

// NewSecret returns a fresh holder secret, hex encoded. It must be kept
// secret.
func NewSecret() (string, error) {
	s, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(s.Bytes()), nil
}

// SetSecret sets the holder secret (hex, as [NewSecret] returns it).
func (w *Wallet) SetSecret(h string) error {
	b, err := hex.DecodeString(h)
	if err != nil {
		return errors.New("wallet: the stored holder secret is not hex")
	}
	s, err := credential.ParseHolderSecret(b)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.secret = s
	w.mu.Unlock()
	return nil
}

// AddEntry parses a stored entry (JSON, strictly) and adds it.
func (w *Wallet) AddEntry(b []byte) error {
	var e Entry
	if err := strictjson.Unmarshal(b, &e); err != nil || e.Version != EntryVersion || e.Stored == nil {
		return fmt.Errorf("wallet: a stored credential is not a %s entry (%v)", EntryVersion, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entries = slices.DeleteFunc(w.entries, func(x *Entry) bool { return x.ID == e.ID })
	w.entries = append(w.entries, &e)
	return nil
}

// OfferInfo is what the wallet shows of a credential offer before it
// asks for the PIN.
type OfferInfo struct {
	Issuer      string `json:"issuer"`     // the issuer's name, or its URL
	IssuerURL   string `json:"issuerUrl"`  // Credential Issuer Identifier
	Credential  string `json:"credential"` // what is offered, in words
	NeedsPIN    bool   `json:"needsPin"`   // a transaction code is required
	PINLength   int    `json:"pinLength"`  // 0: unknown
	PINNumeric  bool   `json:"pinNumeric"` // digits only
	PINHint     string `json:"pinHint"`    // the issuer's description of the code
	offer       *openid4vci.CredentialOffer
	session     *openid4vci.Session
	walletLocal *openid4vci.Wallet
}

func (w *Wallet) vciWallet() (*openid4vci.Wallet, error) {
	return openid4vci.NewWallet(openid4vci.WalletConfig{Fetch: w.fetch, Resolver: w.resolver})
}

// Offer reads a credential offer (an openid-credential-offer:// link,
// QR code text, or a wallet URL with the offer in its fragment), fetching
// it and the issuer's metadata.
func (w *Wallet) Offer(ctx context.Context, uri string) (*OfferInfo, error) {
	vw, err := w.vciWallet()
	if err != nil {
		return nil, err
	}
	offer, err := vw.Offer(ctx, offerFromLink(uri))
	if err != nil {
		return nil, err
	}
	s, err := vw.Start(ctx, offer)
	if err != nil {
		return nil, err
	}
	info := &OfferInfo{IssuerURL: offer.CredentialIssuer, Issuer: offer.CredentialIssuer, offer: offer, session: s, walletLocal: vw}
	for _, d := range s.Metadata.Display {
		if d.Name != "" {
			info.Issuer = d.Name
			break
		}
	}
	info.Credential = "a credential"
	if c := s.Metadata.Configurations[s.Configuration]; c != nil && c.Metadata != nil {
		for _, d := range c.Metadata.Display {
			if d.Name != "" {
				info.Credential = d.Name
				break
			}
		}
	}
	if g := offer.Grants.PreAuthorizedCode; g != nil && g.TxCode != nil {
		info.NeedsPIN, info.PINLength = true, g.TxCode.Length
		info.PINNumeric = g.TxCode.InputMode == "" || g.TxCode.InputMode == "numeric"
		info.PINHint = g.TxCode.Description
	}
	return info, nil
}

// offerFromLink accepts the offer link itself, or a wallet URL whose
// fragment is the link (https://wallet.example/#openid-credential-offer://...).
func offerFromLink(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "#"); i >= 0 && !strings.HasPrefix(s, "openid-credential-offer:") {
		f := s[i+1:]
		if strings.HasPrefix(f, "openid-credential-offer:") {
			return f
		}
		// The whole link percent-encoded as the fragment.
		if u, err := url.PathUnescape(f); err == nil {
			return u
		}
	}
	return s
}

// Receive redeems the offer with pin and requests the credential, bound
// to the holder secret (which never leaves the wallet: only its
// commitment goes in the key proof). The credential is verified against
// the issuer's DID document before it is returned. The caller stores the
// returned entry's JSON.
func (w *Wallet) Receive(ctx context.Context, info *OfferInfo, pin string) (*Entry, []byte, error) {
	w.mu.Lock()
	secret := w.secret
	w.mu.Unlock()
	if secret == nil {
		return nil, nil, errors.New("wallet: no holder secret")
	}
	if info.NeedsPIN && pin == "" {
		return nil, nil, errNeedPIN
	}
	if err := info.walletLocal.Redeem(ctx, info.session, pin); err != nil {
		return nil, nil, err
	}
	st, err := info.walletLocal.RequestCredential(ctx, info.session, secret)
	if err != nil {
		return nil, nil, err
	}
	vc, err := st.Verify(ctx, w.resolver, credential.VerifyOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errBadCredential, err)
	}
	e := &Entry{Version: EntryVersion, IssuerURL: info.offer.CredentialIssuer, ID: vc.ID, Stored: st}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	w.entries = slices.DeleteFunc(w.entries, func(x *Entry) bool { return x.ID == e.ID })
	w.entries = append(w.entries, e)
	w.mu.Unlock()
	return e, b, nil
}

var (
	errNeedPIN       = errors.New("wallet: the offer needs the PIN")
	errBadCredential = errors.New("wallet: the issued credential does not verify")
	errNoKeys        = errors.New("wallet: the circuit keys are not loaded")
	errKeysDigest    = errors.New("wallet: the downloaded keys are not the published ones")
)

// Summary describes a held credential in plain words.
type Summary struct {
	ID         string            `json:"id"`
	Issuer     string            `json:"issuer"`
	IssuerURL  string            `json:"issuerUrl"`
	Type       string            `json:"type"`
	ValidUntil string            `json:"validUntil"` // YYYY-MM-DD
	Expired    bool              `json:"expired"`
	Revoked    bool              `json:"revoked"`
	Status     string            `json:"status"` // a sentence
	Attributes map[string]string `json:"attributes"`
	SyncedAt   string            `json:"syncedAt,omitempty"`
	// Warning: the status is a warning the citizen must read (a split
	// view: [SplitViewMessage]).
	Warning bool `json:"warning,omitempty"`
}

// List describes every held credential.
func (w *Wallet) List(ctx context.Context) []Summary {
	w.mu.Lock()
	entries := slices.Clone(w.entries)
	issuers := w.issuers
	w.mu.Unlock()
	now := w.cfg.Now()
	var out []Summary
	for _, e := range entries {
		st := e.Stored
		exp := time.Unix(int64(st.Expiry), 0).UTC()
		s := Summary{ID: e.ID, Issuer: issuerName(st.Issuer), IssuerURL: e.IssuerURL, Type: typeName(st.Schema),
			ValidUntil: exp.Format(time.DateOnly), Expired: now.After(exp), Attributes: map[string]string{}}
		for k, v := range st.Values {
			s.Attributes[k] = fmt.Sprint(v)
		}
		d := issuers[e.IssuerURL]
		_, checked := d.witness(e.ID)
		if d != nil {
			s.SyncedAt = d.SyncedAt.Format(time.RFC3339)
			s.Revoked = slices.Contains(d.Revoked, e.ID)
		}
		switch {
		case d != nil && d.SplitView != "":
			s.Status, s.Warning = SplitViewMessage, true
		case s.Revoked:
			s.Status = "Revoked by the agency: it can no longer be used."
		case s.Expired:
			s.Status = "Expired on " + s.ValidUntil + "."
		case checked:
			s.Status = "Valid until " + s.ValidUntil + "; not revoked (checked " + d.SyncedAt.Format("2006-01-02 15:04") + " UTC)."
		default:
			s.Status = "Not checked with the agency yet."
		}
		out = append(out, s)
	}
	return out
}

// issuerName is the host of a did:web issuer or verifier, with its path
// when it has one (did:web:host:user is "host/user": its document is one
// that whoever controls that path on host serves, not host's own), else
// the DID.
func issuerName(id string) string {
	if h, ok := strings.CutPrefix(id, "did:web:"); ok {
		parts := strings.Split(h, ":")
		if host, err := url.PathUnescape(parts[0]); err == nil {
			return strings.Join(append([]string{host}, parts[1:]...), "/")
		}
	}
	return id
}

func typeName(s *credential.Schema) string {
	if s == nil {
		return "credential"
	}
	if s.Name == credential.PersonSchemaName {
		return "Personal identity credential"
	}
	return s.Name
}

// LoadKeyBundle checks a downloaded key bundle against the pinned digest
// (SHA-256 over the bytes) before anything parses it, reads it with every
// check ([zkp.ReadKeys], pinned fingerprint), keeps the keys and returns
// their cache form and its digest, for the page to store.
func (w *Wallet) LoadKeyBundle(b []byte) (cache []byte, sum [32]byte, err error) {
	if len(b) > MaxKeyBundle {
		return nil, sum, fmt.Errorf("%w: %d bytes", errKeysDigest, len(b))
	}
	want, _ := hex.DecodeString(w.cfg.KeysSHA256)
	got := sha256.Sum256(b)
	if len(want) != 32 || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, sum, errKeysDigest
	}
	k, err := zkp.ReadKeys(bytes.NewReader(b), w.fingerprint())
	if err != nil {
		return nil, sum, err
	}
	cache, err = k.MarshalCache()
	if err != nil {
		return nil, sum, err
	}
	w.mu.Lock()
	w.keys = k
	w.mu.Unlock()
	return cache, sha256.Sum256(cache), nil
}

// LoadKeyCache loads keys from their cache form, which the wallet made
// from a checked bundle ([Wallet.LoadKeyBundle]) with digest sum: see
// [zkp.DangerousParseKeyCache].
func (w *Wallet) LoadKeyCache(b []byte, sum [32]byte) error {
	if len(b) > MaxKeyBundle {
		return fmt.Errorf("%w: key cache of %d bytes", zkp.ErrInvalidKey, len(b))
	}
	k, err := zkp.DangerousParseKeyCache(b, sum, w.fingerprint())
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.keys = k
	w.mu.Unlock()
	return nil
}

// SplitHelperKey returns what a split-proving helper needs from the
// loaded keys ([zkp.Keys.SplitHelperKey]), or an error if none are loaded.
func (w *Wallet) SplitHelperKey() ([]byte, error) {
	w.mu.Lock()
	keys := w.keys
	w.mu.Unlock()
	if keys == nil {
		return nil, errNoKeys
	}
	return keys.SplitHelperKey()
}

// SetSplit makes the wallet's proofs split between this thread and a
// helper that start reaches ([zkp.ProveSplit]: in the browser, a second
// Web Worker), or on this thread alone if start is nil. A helper that
// fails costs time, never the proof ([zkp.Keys.WithSplit]).
func (w *Wallet) SetSplit(start zkp.SplitStart) {
	w.mu.Lock()
	w.split = start
	w.mu.Unlock()
}

func (w *Wallet) fingerprint() *zkp.Fingerprint {
	b, err := hex.DecodeString(w.cfg.Fingerprint)
	if err != nil || len(b) != 32 {
		return nil
	}
	var f zkp.Fingerprint
	copy(f[:], b)
	return &f
}

// held builds what Answer needs from the synced data: every credential
// with a non-revocation witness from the last sync, carrying the
// issuer's witnessed checkpoint (vp_token value v2), with a resolver that serves the issuers'
// stored DID documents (nothing is asked of the agency while presenting)
// and the network for everything else (the verifier's DID).
func (w *Wallet) held(ctx context.Context) ([]openid4vp.Held, did.Resolver, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.secret == nil {
		return nil, nil, errors.New("wallet: no holder secret")
	}
	pinned := map[string]did.Resolver{}
	var out []openid4vp.Held
	for _, e := range w.entries {
		d := w.issuers[e.IssuerURL]
		if d == nil || d.DID != e.Stored.Issuer {
			continue
		}
		if d.SplitView != "" {
			continue // the agency contradicted itself: not used until resolved
		}
		wit, ok := d.witness(e.ID)
		if !ok {
			continue // revoked, or not synced since it arrived
		}
		res, err := d.resolver()
		if err != nil {
			continue
		}
		pinned[d.DID] = res
		zk, err := did.ResolveZKKey(ctx, res, e.Stored.ZKKeyID)
		if err != nil {
			continue
		}
		out = append(out, openid4vp.Held{Holding: protocol.Holding{Credential: e.Stored, Secret: w.secret, IssuerKey: zk, NonRevoked: wit},
			Checkpoint: []byte(d.Checkpoint)})
	}
	return out, &splitResolver{pinned: pinned, next: w.resolver}, nil
}

// splitResolver resolves the issuers' DIDs from the wallet's synced
// documents and every other DID over the network.
type splitResolver struct {
	pinned map[string]did.Resolver
	next   did.Resolver
}

func (r *splitResolver) Resolve(ctx context.Context, id string) (*did.Resolution, error) {
	if p, ok := r.pinned[id]; ok {
		return p.Resolve(ctx, id)
	}
	return r.next.Resolve(ctx, id)
}
