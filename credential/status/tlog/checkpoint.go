package tlog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/note"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
)

// Kind says what a log holds; the checkpoint's extension line names it.
type Kind int

const (
	// KindRevocation is a revocation log: 8-byte big-endian revoked ids.
	KindRevocation Kind = iota + 1
	// KindKeys is a keys log: DID document versions (JSON bytes).
	KindKeys
)

// String returns "revocation" or "keys".
func (k Kind) String() string {
	switch k {
	case KindRevocation:
		return "revocation"
	case KindKeys:
		return "keys"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Limits of the checkpoint format (FORMAT.md).
const (
	// MaxCheckpointSize bounds a signed checkpoint note, signatures
	// included.
	MaxCheckpointSize = 8 << 10
	// MaxSignatures bounds the signature lines of a checkpoint note (the
	// log's signature and the witnesses' cosignatures).
	MaxSignatures = 32
	// MaxOriginLen bounds an origin or key name, in bytes.
	MaxOriginLen = 256
)

// Extension line keywords, versioned (FORMAT.md).
const (
	revocationExt = "zkcred-revocation/v1"
	keysExt       = "zkcred-keys/v1"
)

// IndexedRoot is what a revocation checkpoint commits to beside the log's
// SHA-256 tree: the indexed Poseidon2 tree the circuit proves against.
type IndexedRoot struct {
	// Depth is the indexed tree's depth, 1 to [status.MaxDepth].
	Depth int
	// Root is the indexed tree's root after the log's entries, in order.
	Root fr.Element
	// Sequence is the registry's sequence number (+1 per change).
	Sequence uint64
}

// Checkpoint is a parsed checkpoint: the body of a signed note. A
// Checkpoint returned by [Open] or [Policy.Verify] has been verified; one
// returned by [ParseCheckpoint] has not.
type Checkpoint struct {
	// Origin names the log ([RevocationOrigin], [KeysOrigin]).
	Origin string
	// Size is the number of entries.
	Size int64
	// Hash is the RFC 6962 SHA-256 root of the entries.
	Hash [32]byte
	// Kind is the log's kind, from the extension line.
	Kind Kind
	// Indexed is the indexed-tree commitment of a revocation log (zero
	// for a keys log).
	Indexed IndexedRoot
	// Time is when the agency signed the checkpoint (whole seconds, UTC).
	Time time.Time
	// Cosignatures are the verified witness cosignatures ([Policy.Verify]
	// fills it; empty otherwise).
	Cosignatures []Cosignature
	// Note is the whole signed note, signatures included, as received.
	Note []byte
}

// Body returns the checkpoint's body: the signed text, ending in a
// newline, without the blank line and the signatures.
func (c *Checkpoint) Body() []byte {
	var b strings.Builder
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]))
	b.WriteByte('\n')
	t := strconv.FormatInt(c.Time.Unix(), 10)
	switch c.Kind {
	case KindRevocation:
		root := c.Indexed.Root.Bytes()
		fmt.Fprintf(&b, "%s %d %d %s %s\n", revocationExt, c.Indexed.Depth, c.Indexed.Sequence, t, base64.StdEncoding.EncodeToString(root[:]))
	default:
		fmt.Fprintf(&b, "%s %s\n", keysExt, t)
	}
	return []byte(b.String())
}

// Same reports whether c and o commit to the same log state: origin, size,
// hash, kind and indexed root (depth, root, sequence). Time and
// signatures may differ: an agency re-signs an unchanged log to show it
// is fresh.
func (c *Checkpoint) Same(o *Checkpoint) bool {
	return c.Origin == o.Origin && c.Size == o.Size && c.Hash == o.Hash && c.Kind == o.Kind &&
		c.Indexed.Depth == o.Indexed.Depth && c.Indexed.Sequence == o.Indexed.Sequence && c.Indexed.Root.Equal(&o.Indexed.Root)
}

// RevocationOrigin returns the origin of issuerDID's revocation log,
// issuerDID + "/revocation". Errors wrap [ErrInvalidOrigin].
func RevocationOrigin(issuerDID string) (string, error) {
	return originFor(issuerDID, "/revocation")
}

// KeysOrigin returns the origin of issuerDID's keys log, issuerDID +
// "/keys". Errors wrap [ErrInvalidOrigin].
func KeysOrigin(issuerDID string) (string, error) {
	return originFor(issuerDID, "/keys")
}

func originFor(issuerDID, suffix string) (string, error) {
	if _, err := did.Parse(issuerDID); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidOrigin, err)
	}
	o := issuerDID + suffix
	if !validName(o) {
		return "", fmt.Errorf("%w: %q", ErrInvalidOrigin, truncate(o, 64))
	}
	return o, nil
}

// validName: 1 to MaxOriginLen bytes of printable ASCII, no space, no '+'.
// Stricter than signed-note (which allows any non-space Unicode): our
// origins are DID-based and ASCII.
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxOriginLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '+' {
			return false
		}
	}
	return true
}

// LogKey is a log's public key: its origin (also the signed-note key name)
// and the agency's Ed25519 key.
type LogKey struct {
	origin string
	pub    ed25519.PublicKey
	v      note.Verifier
}

// NewLogKey returns the key of the log named origin, signed with pub.
// Errors wrap [ErrInvalidOrigin] or [ErrUnsupportedKey].
func NewLogKey(origin string, pub ed25519.PublicKey) (*LogKey, error) {
	if !validName(origin) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidOrigin, truncate(origin, 64))
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(pub))
	}
	vkey := fmt.Sprintf("%s+%08x+%s", origin, noteKeyHash(origin, 0x01, pub), base64.StdEncoding.EncodeToString(append([]byte{0x01}, pub...)))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOrigin, err)
	}
	return &LogKey{origin: origin, pub: append(ed25519.PublicKey(nil), pub...), v: v}, nil
}

// LogKeyFromMethod returns the key of the log named origin from the
// issuer's verification method vm, taken from its DID document (resolve
// it with [did.ResolveVerificationMethod], relationship
// [did.AssertionMethod]), so that the DID binds the log's key. The method
// must hold an Ed25519 key: an agency with an ES256 (P-256) key cannot
// sign checkpoints, C2SP signed notes define Ed25519 only; it adds an
// Ed25519 method to its DID document for its logs. Errors wrap
// [ErrUnsupportedKey] or [ErrInvalidOrigin].
func LogKeyFromMethod(origin string, vm *did.VerificationMethod) (*LogKey, error) {
	pub, err := vm.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	ed, ok := pub.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: verification method %q holds a %T", ErrUnsupportedKey, truncate(vm.ID, 128), pub)
	}
	return NewLogKey(origin, ed)
}

// ParseLogKey parses a log's signed-note verifier key, as
// [LogKey.String] prints it: "<origin>+<8 hex digits key hash>+
// <base64(0x01 || 32-byte Ed25519 key)>". Errors wrap [ErrInvalidOrigin]
// or [ErrUnsupportedKey].
func ParseLogKey(vkey string) (*LogKey, error) {
	if len(vkey) > MaxOriginLen+64 {
		return nil, fmt.Errorf("%w: log key too long", ErrInvalidOrigin)
	}
	name, rest, ok1 := strings.Cut(vkey, "+")
	h16, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || len(h16) != 8 || strings.ToLower(h16) != h16 {
		return nil, fmt.Errorf("%w: log key %q is not origin+hash+key", ErrInvalidOrigin, truncate(vkey, 64))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(raw) != b64 {
		return nil, fmt.Errorf("%w: log key encoding", ErrUnsupportedKey)
	}
	if raw[0] != 0x01 {
		return nil, fmt.Errorf("%w: signature type 0x%02x, want 0x01 (Ed25519)", ErrUnsupportedKey, raw[0])
	}
	k, err := NewLogKey(name, raw[1:])
	if err != nil {
		return nil, err
	}
	if k.String() != vkey {
		return nil, fmt.Errorf("%w: log key hash does not match the key", ErrInvalidOrigin)
	}
	return k, nil
}

// Origin returns the log's origin, also its key name.
func (k *LogKey) Origin() string { return k.origin }

// PublicKey returns the agency's Ed25519 key.
func (k *LogKey) PublicKey() ed25519.PublicKey { return append(ed25519.PublicKey(nil), k.pub...) }

// String returns the signed-note verifier key,
// "<origin>+<key hash>+<base64(0x01 || key)>".
func (k *LogKey) String() string {
	return fmt.Sprintf("%s+%08x+%s", k.origin, k.v.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{0x01}, k.pub...)))
}

// noteKeyHash is the signed-note key id: the first 4 bytes of
// SHA-256(name || "\n" || alg || key).
func noteKeyHash(name string, alg byte, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// ParseCheckpoint parses a signed checkpoint note strictly (FORMAT.md),
// without verifying any signature: at most [MaxCheckpointSize] bytes; the
// origin, the size in decimal without leading zeros, the canonical base64
// SHA-256 root, exactly one zkcred extension line, a blank line and 1 to
// [MaxSignatures] well-formed signature lines. Errors wrap
// [ErrMalformedCheckpoint]. Use [Open] or [Policy.Verify] to verify.
func ParseCheckpoint(signedNote []byte) (*Checkpoint, error) {
	c, _, err := parseNote(signedNote)
	return c, err
}

// Open parses signedNote and verifies the log's signature with key: the
// origin must be key's and the signature valid. Cosignatures are not
// checked (see [Policy.Verify]). Errors wrap [ErrMalformedCheckpoint] or
// [ErrBadSignature].
func Open(signedNote []byte, key *LogKey) (*Checkpoint, error) {
	c, _, err := parseNote(signedNote)
	if err != nil {
		return nil, err
	}
	if err := c.verifyLog(key); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Checkpoint) verifyLog(key *LogKey) error {
	if key == nil {
		return fmt.Errorf("%w: no log key", ErrBadSignature)
	}
	if c.Origin != key.origin {
		return fmt.Errorf("%w: origin %q, want %q", ErrBadSignature, truncate(c.Origin, 64), truncate(key.origin, 64))
	}
	n, err := note.Open(c.Note, note.VerifierList(key.v))
	if err != nil || len(n.Sigs) != 1 {
		return fmt.Errorf("%w: %q", ErrBadSignature, truncate(c.Origin, 64))
	}
	return nil
}

// sigLine is one parsed signature line.
type sigLine struct {
	name string
	hash uint32
	sig  []byte // after the key hash
}

const sigPrefix = "\u2014 " // "— "

func parseNote(b []byte) (*Checkpoint, []sigLine, error) {
	bad := func(why string, args ...any) (*Checkpoint, []sigLine, error) {
		return nil, nil, fmt.Errorf("%w: "+why, append([]any{ErrMalformedCheckpoint}, args...)...)
	}
	if len(b) > MaxCheckpointSize {
		return bad("%d bytes, limit %d", len(b), MaxCheckpointSize)
	}
	split := bytes.Index(b, []byte("\n\n"))
	if split < 0 {
		return bad("no blank line before the signatures")
	}
	body, sigs := b[:split+1], b[split+2:]
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines) != 4 {
		return bad("%d body lines, want 4 (origin, size, hash, extension)", len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if !validName(c.Origin) {
		return bad("origin")
	}
	size, err := parseDecimal(lines[1], 1<<63-1)
	if err != nil {
		return bad("size line")
	}
	c.Size = int64(size)
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != 32 || base64.StdEncoding.EncodeToString(h) != lines[2] {
		return bad("root hash line")
	}
	copy(c.Hash[:], h)
	if err := c.parseExtension(lines[3]); err != nil {
		return nil, nil, err
	}
	// The conventional origins name their kind: a checkpoint of the other
	// kind under them is refused, so a verifier reading a revocation log
	// never gets a keys checkpoint without an indexed root.
	if (strings.HasSuffix(c.Origin, "/revocation") && c.Kind != KindRevocation) ||
		(strings.HasSuffix(c.Origin, "/keys") && c.Kind != KindKeys) {
		return bad("a %v checkpoint under origin %q", c.Kind, truncate(c.Origin, 64))
	}
	if !bytes.Equal(c.Body(), body) {
		return bad("body is not in canonical form")
	}
	var out []sigLine
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return bad("signature block must end in a newline")
	}
	for _, line := range strings.Split(string(sigs[:len(sigs)-1]), "\n") {
		if len(out) == MaxSignatures {
			return bad("more than %d signatures", MaxSignatures)
		}
		rest, ok := strings.CutPrefix(line, sigPrefix)
		if !ok {
			return bad("signature line without the \u2014 prefix")
		}
		name, b64, ok := strings.Cut(rest, " ")
		if !ok || !validName(name) {
			return bad("signature key name")
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(sig) < 5 || len(sig) > 4+8+ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != b64 {
			return bad("signature encoding")
		}
		out = append(out, sigLine{name: name, hash: binary.BigEndian.Uint32(sig), sig: sig[4:]})
	}
	c.Note = append([]byte(nil), b...)
	return c, out, nil
}

func (c *Checkpoint) parseExtension(line string) error {
	f := strings.Split(line, " ")
	bad := func(why string) error { return fmt.Errorf("%w: extension line: %s", ErrMalformedCheckpoint, why) }
	var t string
	switch {
	case f[0] == revocationExt && len(f) == 5:
		c.Kind = KindRevocation
		d, err := parseDecimal(f[1], status.MaxDepth)
		if err != nil || d < 1 {
			return bad("depth")
		}
		c.Indexed.Depth = int(d)
		if c.Indexed.Depth < 64 && uint64(c.Size) >= uint64(1)<<uint(c.Indexed.Depth) {
			return bad("size does not fit the depth")
		}
		if c.Indexed.Sequence, err = parseDecimal(f[2], 1<<64-1); err != nil {
			return bad("sequence")
		}
		t = f[3]
		r, err := base64.StdEncoding.Strict().DecodeString(f[4])
		if err != nil || len(r) != fr.Bytes || base64.StdEncoding.EncodeToString(r) != f[4] {
			return bad("indexed root encoding")
		}
		if err := c.Indexed.Root.SetBytesCanonical(r); err != nil {
			return bad("indexed root is not a canonical field element")
		}
	case f[0] == keysExt && len(f) == 2:
		c.Kind = KindKeys
		t = f[1]
	default:
		return bad("want " + revocationExt + " or " + keysExt)
	}
	secs, err := parseDecimal(t, 1<<62)
	if err != nil {
		return bad("time")
	}
	c.Time = time.Unix(int64(secs), 0).UTC()
	return nil
}

// parseDecimal parses a decimal without sign or leading zeros, at most max.
func parseDecimal(s string, max uint64) (uint64, error) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, strconv.ErrRange
	}
	return v, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
