package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier"
)

// The clerk's page speaks to the person at the counter, not to a
// developer: "Over 18: confirmed", "Not accepted: this person already
// voted in this election", "Could not check right now: the agency's
// service is unreachable, try again". The technical detail (codes, DIDs,
// the DCQL query, the raw answers) stays on the page, folded away.
//
// Where the words live. The library maps every error to a stable code
// (verifier.ErrorCode: one code per sentinel, the API a client switches
// on). Words for people, and their languages, are presentation: a polling
// station and a shop say different things about the same code (a repeated
// nullifier is "already voted" at one and "offer already used" at the
// other). So the mapping from codes to sentences is this program's, in
// message catalogs (web/i18n/*.json, embedded), one per language, chosen
// from the Accept-Language header. The codes it starts from are the
// library's; reasonOf adds one distinction the code does not carry (the
// store or a remote service unreachable), from the sentinels.

// catalog is the page's messages in one language.
type catalog struct {
	tag  language.Tag
	msgs map[string]string
}

// catalogs holds every language the page speaks; the first is the
// fallback.
var (
	catalogs = []*catalog{loadCatalog("en"), loadCatalog("et")}
	matcher  = language.NewMatcher(func() []language.Tag {
		var tags []language.Tag
		for _, c := range catalogs {
			tags = append(tags, c.tag)
		}
		return tags
	}())
)

func loadCatalog(lang string) *catalog {
	b, err := webFiles.ReadFile("web/i18n/" + lang + ".json")
	if err != nil {
		panic("verifier: internal error: " + err.Error()) // embedded at build time
	}
	c := &catalog{tag: language.MustParse(lang)}
	if err := strictjson.Unmarshal(b, &c.msgs); err != nil {
		panic("verifier: internal error: catalog " + lang + ": " + err.Error())
	}
	return c
}

// maxAcceptLanguage bounds the Accept-Language header parsed; a longer
// one gets the fallback language.
const maxAcceptLanguage = 256

// catalogFor returns the catalog the request's Accept-Language header
// prefers.
func catalogFor(r *http.Request) *catalog {
	h := r.Header.Get("Accept-Language")
	if h == "" || len(h) > maxAcceptLanguage {
		return catalogs[0]
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return catalogs[0]
	}
	_, i, _ := matcher.Match(tags...)
	return catalogs[i]
}

// t returns message key with {name} placeholders replaced by the pairs
// in args (name, value, ...). A missing key is the key itself (the test
// checks that none is missing).
func (c *catalog) t(key string, args ...string) string {
	s, ok := c.msgs[key]
	if !ok {
		return key
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// Kinds of outcome, as the page colours them.
const (
	kindAccepted = "accepted"
	kindRejected = "rejected" // not accepted: the answer is wrong
	kindRetry    = "retry"    // could not check: nothing is wrong with the person
)

// Reasons: the catalog's "reason.*" keys. Each refusal the verifier can
// give has one.
const (
	reasonUnavailable       = "unavailable"        // a dependency is down, which one unknown
	reasonUnavailableAgency = "unavailable_agency" // the agency's DID document or keys cannot be fetched
	reasonUnavailableStore  = "unavailable_store"  // the verifier's own store failed
	reasonInternal          = "internal"
)

// reasonOf is the reason for err, a verifier error: the code
// verifier.ErrorCode gives it, with "unavailable" split by cause.
func reasonOf(err error) string {
	_, code := verifier.ErrorCode(err)
	if code == verifier.CodeUnavailable {
		if errors.Is(err, verifier.ErrStore) {
			return reasonUnavailableStore
		}
		return reasonUnavailableAgency
	}
	return reasonForCode(code)
}

// reasonForCode is the reason for a stable error code of the verifier's
// HTTP API (when only the code is known).
func reasonForCode(code string) string {
	switch code {
	case verifier.CodeDuplicateNullifier, verifier.CodeReplay, verifier.CodeExpiredRequest,
		verifier.CodeUnknownRequest, verifier.CodeInvalidProof, verifier.CodeUntrustedIssuer,
		verifier.CodeStaleRoot, verifier.CodeMalformedPresentation, verifier.CodeUnsatisfiedQuery,
		verifier.CodeInvalidRequest, verifier.CodeHolderDeclined, verifier.CodeWalletError:
		return code
	case verifier.CodeTooLarge, verifier.CodeUnsupportedMediaType, verifier.CodeNotFound, verifier.CodeMethodNotAllowed:
		return verifier.CodeMalformedPresentation // the wallet sent something unreadable
	case verifier.CodeUnavailable:
		return reasonUnavailable
	}
	return reasonInternal
}

// kindOf is the kind of outcome of a refusal's reason.
func kindOf(reason string) string {
	switch reason {
	case reasonUnavailable, reasonUnavailableAgency, reasonUnavailableStore, reasonInternal:
		return kindRetry
	}
	return kindRejected
}

// clerkView is an attempt as the clerk reads it: a headline, and for an
// accepted answer one line per fact proven.
type clerkView struct {
	Kind     string   `json:"kind"`
	Headline string   `json:"headline"`
	Lines    []string `json:"lines"`
}

// view returns the clerk's view of at in c's language.
func (c *catalog) view(at attempt) *clerkView {
	if at.Status == http.StatusOK {
		return &clerkView{Kind: kindAccepted, Headline: c.t("headline.accepted"), Lines: c.acceptedLines(at.Result)}
	}
	reason := at.Reason
	if reason == "" {
		code := verifier.CodeInternal
		if at.Error != nil {
			code = at.Error.Code
		}
		reason = reasonForCode(code)
	}
	// One sentence says it all: "Not accepted: this person already voted
	// in this election."
	return &clerkView{Kind: kindOf(reason), Headline: c.t("reason." + reason)}
}

// shownResult is what the page reads of a verifier.Result.
type shownResult struct {
	Predicates []struct {
		Attribute string            `json:"attribute"`
		Op        string            `json:"op"`
		Value     json.RawMessage   `json:"value"`
		Min       json.RawMessage   `json:"min"`
		Max       json.RawMessage   `json:"max"`
		Values    []json.RawMessage `json:"values"`
		Years     *int              `json:"years"`
	} `json:"predicates"`
	Disclosed map[string]json.RawMessage `json:"disclosed"`
	Nullifier string                     `json:"nullifier"`
}

// acceptedLines says what an accepted answer proved, one line per fact:
// raw is a verifier.ResponseResult (OpenID4VP) or a verifier.Result
// (zkcred's own requests), as this program recorded it.
func (c *catalog) acceptedLines(raw json.RawMessage) []string {
	var rr struct {
		Presentations map[string][]shownResult `json:"presentations"`
	}
	var results []shownResult
	if json.Unmarshal(raw, &rr) == nil && rr.Presentations != nil {
		ids := make([]string, 0, len(rr.Presentations))
		for id := range rr.Presentations {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			results = append(results, rr.Presentations[id]...)
		}
	} else {
		var r shownResult
		if json.Unmarshal(raw, &r) == nil {
			results = append(results, r)
		}
	}
	var lines []string
	for _, r := range results {
		for _, p := range r.Predicates {
			lines = append(lines, c.predicate(p.Attribute, p.Op, p.Years, p.Value, p.Min, p.Max, p.Values))
		}
		names := make([]string, 0, len(r.Disclosed))
		for n := range r.Disclosed {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			lines = append(lines, c.t("disclosed", "attr", c.attr(n), "value", c.value(r.Disclosed[n])))
		}
		if r.Nullifier != "" {
			lines = append(lines, c.t("nullifier"))
		}
	}
	if len(lines) == 0 {
		lines = append(lines, c.t("valid"))
	}
	return lines
}

func (c *catalog) predicate(attr, op string, years *int, value, lo, hi json.RawMessage, values []json.RawMessage) string {
	switch op {
	case "ageAtLeast", "ageUnder":
		y := "?"
		if years != nil {
			y = strconv.Itoa(*years)
		}
		return c.t("pred."+op, "years", y)
	}
	if attr == "district" && (op == "eq" || (op == "in" && len(values) == 1)) {
		v := value
		if op == "in" {
			v = values[0]
		}
		return c.t("pred.district.eq", "value", c.value(v))
	}
	vs := make([]string, len(values))
	for i, v := range values {
		vs[i] = c.value(v)
	}
	list := strings.Join(vs, ", ")
	if len(vs) > 1 {
		list = strings.Join(vs[:len(vs)-1], ", ") + " " + c.t("or") + " " + vs[len(vs)-1]
	}
	if attr == "district" && op == "in" {
		return c.t("pred.district.in", "values", list)
	}
	if _, ok := c.msgs["pred."+op]; !ok {
		return fmt.Sprintf("%s %s: %s", c.attr(attr), op, c.t("yes"))
	}
	return c.t("pred."+op, "attr", c.attr(attr), "value", c.value(value), "min", c.value(lo), "max", c.value(hi), "values", list)
}

// attr is an attribute's name in c's language (the schema's name if the
// catalog has none).
func (c *catalog) attr(name string) string {
	if s, ok := c.msgs["attr."+name]; ok {
		return s
	}
	return name
}

// value renders a literal: a string as is, a boolean as yes or no, a
// number in decimal.
func (c *catalog) value(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return "?"
	}
	switch v := v.(type) {
	case bool:
		if v {
			return c.t("yes")
		}
		return c.t("no")
	case string:
		return v
	}
	return string(raw)
}
