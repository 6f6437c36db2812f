package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Register is the agency's source of truth: the attributes of the people
// it issues credentials to. The issuer issues only what a register record
// says, to the holder of the offer made for that record.
//
// Record returns the record with the given id, or an error wrapping
// [openid4vci.ErrUnknownRecord] if there is none (a person removed from the register
// gets no credential). It must be safe for concurrent use.
type Register interface {
	Record(ctx context.Context, id string) (Record, error)
}

// Record is one entry of a [Register].
type Record struct {
	// ID identifies the record in the register (a citizen number).
	ID string `json:"id"`
	// Values holds one value per attribute of the issuer's schema, in the
	// forms credential.Attribute.Encode accepts (dates "YYYY-MM-DD",
	// integers as json.Number or Go integers, ...).
	Values map[string]any `json:"values"`
	// SubjectID is the optional credentialSubject id; leave it empty for
	// unlinkable credentials.
	SubjectID string `json:"subjectId,omitempty"`
	// ValidFrom and ValidUntil bound the credential's validity. Zero
	// ValidFrom means the issuance time; zero ValidUntil means the
	// issuance time plus Config.ValidFor.
	ValidFrom  time.Time `json:"validFrom,omitzero"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
}

// Rules are the register's own checks on a record, beyond the schema's
// types.
type Rules struct {
	// PastDates lists date attributes that must not be after the issuance
	// day (UTC): a birthdate in the future is an error.
	PastDates []string
	// Allowed lists, per attribute, the values it may take (compared with
	// the value's canonical JSON form: "07" for a string, 7 for a number):
	// an unknown district is an error.
	Allowed map[string][]string
}

// validate checks r against schema and rules at now and returns the
// canonical values and the validity. Errors wrap [openid4vci.ErrInvalidRecord]
// (and credential.ErrSchemaMismatch where the schema refused); they name
// the record and the attribute, never a value, since they are logged.
func validate(r Record, schema *credential.Schema, rules *Rules, now time.Time, validFor time.Duration) (map[string]any, time.Time, time.Time, error) {
	var zero time.Time
	bad := func(f string, a ...any) (map[string]any, time.Time, time.Time, error) {
		return nil, zero, zero, fmt.Errorf("%w: record %q: "+f, append([]any{openid4vci.ErrInvalidRecord, truncate(r.ID, 64)}, a...)...)
	}
	canon, err := schema.Canonical(r.Values)
	if err != nil {
		// The schema's error may quote the value: name the attribute only.
		for _, a := range schema.Attributes {
			v, ok := r.Values[a.Name]
			if !ok {
				return bad("%w: missing attribute %q", credential.ErrSchemaMismatch, a.Name)
			}
			if _, err := a.Encode(v); err != nil {
				return bad("%w: attribute %q (%s) does not fit the schema", credential.ErrSchemaMismatch, a.Name, a.Type)
			}
		}
		return bad("%w: an attribute the schema does not have", credential.ErrSchemaMismatch)
	}
	today := now.UTC().Format(time.DateOnly)
	for _, name := range rules.PastDates {
		v, ok := canon[name].(string)
		if !ok {
			return bad("rule names %q, which is not a date attribute", name)
		}
		if v > today { // YYYY-MM-DD compares as text
			return bad("%s is in the future", name)
		}
	}
	for name, allowed := range rules.Allowed {
		v, ok := canon[name]
		if !ok {
			return bad("rule names unknown attribute %q", name)
		}
		var s string
		if str, ok := v.(string); ok {
			s = str
		} else {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if !slices.Contains(allowed, s) {
			return bad("%s is not one of its allowed values", name)
		}
	}
	from, until := r.ValidFrom, r.ValidUntil
	if from.IsZero() {
		from = now
	}
	if until.IsZero() {
		until = now.Add(validFor)
	}
	from, until = from.UTC().Truncate(time.Second), until.UTC().Truncate(time.Second)
	if !until.After(now) || !until.After(from) {
		return bad("validity ends %s, in the past or before it starts", until.Format(time.RFC3339))
	}
	return canon, from, until, nil
}

// MemoryRegister is the embedded [Register]: records held in memory,
// loaded from a JSON file by [LoadRegisterFile] or added with
// [MemoryRegister.Put]. It is safe for concurrent use.
type MemoryRegister struct {
	mu      sync.RWMutex
	records map[string]Record
}

var _ Register = (*MemoryRegister)(nil)

// NewMemoryRegister returns a register holding copies of records. Errors
// wrap [openid4vci.ErrConfig] (an empty or repeated id).
func NewMemoryRegister(records ...Record) (*MemoryRegister, error) {
	m := &MemoryRegister{records: map[string]Record{}}
	for _, r := range records {
		if _, ok := m.records[r.ID]; ok {
			return nil, fmt.Errorf("%w: repeated register id %q", openid4vci.ErrConfig, truncate(r.ID, 64))
		}
		if err := m.Put(r); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Put adds or replaces a record (a copy). Errors wrap [openid4vci.ErrConfig] (an
// empty id, one over 256 bytes or one that is not valid UTF-8).
func (m *MemoryRegister) Put(r Record) error {
	if err := checkRecordID(r.ID); err != nil {
		return err
	}
	r.Values = maps.Clone(r.Values)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[r.ID] = r
	return nil
}

// checkRecordID checks a record id for a register: 1 to 256 bytes of
// valid UTF-8. Invalid UTF-8 is refused rather than stored: the issuer's
// state and a JSON encoder would not keep it byte for byte. Errors wrap
// [openid4vci.ErrConfig].
func checkRecordID(id string) error {
	if id == "" || len(id) > 256 {
		return fmt.Errorf("%w: register id must be 1 to 256 bytes", openid4vci.ErrConfig)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%w: register id is not valid UTF-8", openid4vci.ErrConfig)
	}
	return nil
}

// Record returns a copy of the record id, or an error wrapping
// [openid4vci.ErrUnknownRecord].
func (m *MemoryRegister) Record(_ context.Context, id string) (Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.records[id]
	if !ok {
		return Record{}, fmt.Errorf("%w: %q", openid4vci.ErrUnknownRecord, truncate(id, 64))
	}
	r.Values = maps.Clone(r.Values)
	return r, nil
}

// RegisterFileFormat is the version of the register file read by
// [LoadRegisterFile].
const RegisterFileFormat = "zkcred-register-v1"

// maxRegisterFile bounds a register file.
const maxRegisterFile = 256 << 20

// LoadRegisterFile reads a register file into a [MemoryRegister]:
//
//	{"version": "zkcred-register-v1",
//	 "records": [{"id": "citizen-1", "values": {"birthDate": "1990-05-17", ...},
//	              "validUntil": "2027-12-31T00:00:00Z"}]}
//
// decoded with did/strictjson (no duplicate, unknown or case-variant
// members; numbers kept exact as json.Number, and a number of magnitude
// 2^53 or more refused). Values are checked against the schema at issuance,
// not here. Errors wrap [openid4vci.ErrConfig].
func LoadRegisterFile(path string) (*MemoryRegister, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: register file: %w", openid4vci.ErrConfig, err)
	}
	if len(b) > maxRegisterFile {
		return nil, fmt.Errorf("%w: register file over %d bytes", openid4vci.ErrConfig, maxRegisterFile)
	}
	var f struct {
		Version string   `json:"version"`
		Records []Record `json:"records"`
	}
	if err := strictjson.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: register file %s: %v", openid4vci.ErrConfig, path, err)
	}
	if f.Version != RegisterFileFormat {
		return nil, fmt.Errorf("%w: register file version %q, want %q", openid4vci.ErrConfig, truncate(f.Version, 64), RegisterFileFormat)
	}
	return NewMemoryRegister(f.Records...)
}
