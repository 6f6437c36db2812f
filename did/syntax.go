package did

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxLength bounds the length of a DID or DID URL accepted by [Parse] and
// [ParseURL]. DID Core sets no limit; this one keeps hostile input cheap.
const MaxLength = 8192

// DID is a parsed decentralized identifier, did:<Method>:<ID>.
type DID struct {
	// Method is the method name (lowercase letters and digits).
	Method string
	// ID is the method-specific identifier, exactly as written (still
	// percent-encoded).
	ID string
}

// String returns the DID in its textual form.
func (d DID) String() string { return "did:" + d.Method + ":" + d.ID }

// URL is a parsed DID URL (DID Core §3.2): a DID followed by an optional
// path, query and fragment, kept exactly as written (still
// percent-encoded). An empty Query or Fragment is treated as absent.
type URL struct {
	DID
	Path     string // path-abempty, "" or starting with "/"
	Query    string // without the leading "?"
	Fragment string // without the leading "#"
}

// String returns the DID URL in its textual form.
func (u URL) String() string {
	var b strings.Builder
	b.WriteString(u.DID.String())
	b.WriteString(u.Path)
	if u.Query != "" {
		b.WriteByte('?')
		b.WriteString(u.Query)
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.Fragment)
	}
	return b.String()
}

// Parse parses s as a DID by the DID Core 1.0 §3.1 ABNF:
//
//	did                = "did:" method-name ":" method-specific-id
//	method-name        = 1*method-char
//	method-char        = %x61-7A / DIGIT
//	method-specific-id = *( *idchar ":" ) 1*idchar
//	idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
//	pct-encoded        = "%" HEXDIG HEXDIG
//
// Errors wrap [ErrInvalidDID]. A DID URL (with path, query or fragment) is
// not a DID; use [ParseURL] for those.
func Parse(s string) (DID, error) {
	if len(s) > MaxLength {
		return DID{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidDID, MaxLength)
	}
	d, rest, err := parseDID(s)
	if err != nil {
		return DID{}, err
	}
	if rest != "" {
		return DID{}, fmt.Errorf("%w: unexpected %q after method-specific id", ErrInvalidDID, rest[:1])
	}
	return d, nil
}

// mustParse is like [Parse] but panics on error. Use it only for
// constants in tests.
func mustParse(s string) DID {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// parseDID parses the DID prefix of s and returns what follows it.
func parseDID(s string) (DID, string, error) {
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return DID{}, "", fmt.Errorf("%w: missing \"did:\" scheme", ErrInvalidDID)
	}
	i := 0
	for i < len(rest) && (rest[i] >= 'a' && rest[i] <= 'z' || isDigit(rest[i])) {
		i++
	}
	if i == 0 {
		return DID{}, "", fmt.Errorf("%w: empty or invalid method name", ErrInvalidDID)
	}
	if i == len(rest) || rest[i] != ':' {
		return DID{}, "", fmt.Errorf("%w: method name must be lowercase letters and digits followed by ':'", ErrInvalidDID)
	}
	method := rest[:i]
	rest = rest[i+1:]
	j := 0
	for j < len(rest) {
		c := rest[j]
		switch {
		case isAlpha(c) || isDigit(c) || c == '.' || c == '-' || c == '_' || c == ':':
			j++
		case c == '%':
			if j+2 >= len(rest) || !isHex(rest[j+1]) || !isHex(rest[j+2]) {
				return DID{}, "", fmt.Errorf("%w: bad percent-encoding in method-specific id", ErrInvalidDID)
			}
			j += 3
		case c == '/' || c == '?' || c == '#':
			goto end
		default:
			return DID{}, "", fmt.Errorf("%w: character %q not allowed in method-specific id", ErrInvalidDID, c)
		}
	}
end:
	id := rest[:j]
	if id == "" {
		return DID{}, "", fmt.Errorf("%w: empty method-specific id", ErrInvalidDID)
	}
	if id[len(id)-1] == ':' {
		return DID{}, "", fmt.Errorf("%w: method-specific id ends with ':'", ErrInvalidDID)
	}
	if method == "web" {
		if _, _, err := splitWebID(id); err != nil {
			return DID{}, "", err
		}
	}
	return DID{Method: method, ID: id}, rest[j:], nil
}

// splitWebID applies the did:web method's syntax (did:web §3.1 and §3.2.1
// "Read") to a method-specific id: host[%3Aport](:segment)*. It returns
// the host with its port ("example.com:3000") and the path segments.
//
//   - The only percent-encoding allowed is "%3A" (upper case, as the spec
//     writes it) between the host and a port of 1-65535 without leading
//     zeros. Any other "%" (an encoded dot, slash, backslash, "?", "#",
//     NUL, space, or a second colon) is refused, in the host and in the
//     path: a server that decodes and cleans paths would otherwise serve
//     another path's document for it.
//   - The host is a domain name of LDH labels (1-63 characters, 253 in
//     all, no leading or trailing hyphen, no empty label). IP literals and
//     local names pass this syntax; [WebResolver] refuses them unless
//     allowed.
//   - Path segments, separated by ':', are non-empty, are not "." or "..",
//     and consist of the unreserved characters ALPHA, DIGIT, '.', '-' and
//     '_' (the did idchar set without pct-encoded).
//
// Errors wrap [ErrInvalidDID].
func splitWebID(id string) (host string, segs []string, err error) {
	segs = strings.Split(id, ":")
	host, segs = segs[0], segs[1:]
	name, port, hasPort := strings.Cut(host, "%3A")
	if strings.IndexByte(name, '%') >= 0 || strings.IndexByte(port, '%') >= 0 {
		return "", nil, fmt.Errorf("%w: did:web host %q: only the port colon may be percent-encoded, as %%3A", ErrInvalidDID, truncate(host, 64))
	}
	if !validDNSName(name) {
		return "", nil, fmt.Errorf("%w: did:web host %q is not a domain name", ErrInvalidDID, truncate(name, 64))
	}
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
			return "", nil, fmt.Errorf("%w: did:web port %q", ErrInvalidDID, truncate(port, 16))
		}
		name += ":" + port
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", nil, fmt.Errorf("%w: did:web path segment %q", ErrInvalidDID, s)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '.' && c != '-' && c != '_' {
				return "", nil, fmt.Errorf("%w: did:web path segment %q: %q not allowed (no percent-encoding in paths)", ErrInvalidDID, truncate(s, 64), c)
			}
		}
	}
	return name, segs, nil
}

// validDNSName checks LDH labels of 1-63 characters, 253 in all.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlpha(l[i]) && !isDigit(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	return true
}

// ParseURL parses s as a DID URL by the DID Core 1.0 §3.2 ABNF:
//
//	did-url = did path-abempty [ "?" query ] [ "#" fragment ]
//
// with path-abempty, query and fragment from RFC 3986 (pchar, "/" and "?",
// percent-encoding checked). A plain DID is a valid DID URL. Errors wrap
// [ErrInvalidDIDURL] (and [ErrInvalidDID] when the DID part is bad).
func ParseURL(s string) (URL, error) {
	if len(s) > MaxLength {
		return URL{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidDIDURL, MaxLength)
	}
	d, rest, err := parseDID(s)
	if err != nil {
		return URL{}, fmt.Errorf("%w: %w", ErrInvalidDIDURL, err)
	}
	u := URL{DID: d}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		u.Fragment = rest[i+1:]
		rest = rest[:i]
		if err := checkURIChars(u.Fragment, "/?"); err != nil {
			return URL{}, fmt.Errorf("%w: fragment: %v", ErrInvalidDIDURL, err)
		}
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		u.Query = rest[i+1:]
		rest = rest[:i]
		if err := checkURIChars(u.Query, "/?"); err != nil {
			return URL{}, fmt.Errorf("%w: query: %v", ErrInvalidDIDURL, err)
		}
	}
	if rest != "" {
		if rest[0] != '/' {
			return URL{}, fmt.Errorf("%w: path must start with '/'", ErrInvalidDIDURL)
		}
		if err := checkURIChars(rest, "/"); err != nil {
			return URL{}, fmt.Errorf("%w: path: %v", ErrInvalidDIDURL, err)
		}
		u.Path = rest
	}
	return u, nil
}

// checkURIChars checks that s consists of RFC 3986 pchar plus the extra
// characters given.
func checkURIChars(s, extra string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0 || strings.IndexByte(extra, c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return fmt.Errorf("bad percent-encoding")
			}
			i += 2
		default:
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

// resolveRef turns a relative DID URL reference ("#key-1") into an absolute
// one against base; absolute references are returned unchanged.
func resolveRef(base, ref string) string {
	if strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "?") || strings.HasPrefix(ref, "/") {
		return base + ref
	}
	return ref
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
