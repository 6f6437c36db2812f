package agencykey

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Seal encrypts plain, the plaintext of a key file of any format, as an age
// file (binary) to the given recipients; an scrypt recipient must be the
// only one. [Encrypt] is Seal over the agency's document; other services
// (the example verifier's OpenID4VP keys) keep their own strict JSON
// document in a file of the same protection. Errors wrap [ErrNoKey].
func Seal(plain []byte, recipients ...age.Recipient) ([]byte, error) {
	if len(recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrNoKey)
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		return nil, fmt.Errorf("agencykey: encrypting: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("agencykey: encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("agencykey: encrypting: %w", err)
	}
	return out.Bytes(), nil
}

// Unseal decrypts file, a binary or ASCII-armored age file of at most
// [MaxFileSize] bytes, with the given identities and returns its
// plaintext, of at most maxPlain bytes (and at most [MaxFileSize]); the
// caller parses it, and should clear it when done. Errors wrap
// [ErrNotEncrypted], [ErrWrongKey], [ErrMalformed], [ErrTooLarge] or
// [ErrNoKey].
func Unseal(file []byte, maxPlain int, identities ...age.Identity) ([]byte, error) {
	if len(identities) == 0 {
		return nil, fmt.Errorf("%w: no identity", ErrNoKey)
	}
	if len(file) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(file), MaxFileSize)
	}
	maxPlain = max(0, min(maxPlain, MaxFileSize))
	var src io.Reader
	switch {
	case bytes.HasPrefix(file, []byte("age-encryption.org/v1\n")):
		src = bytes.NewReader(file)
	case bytes.HasPrefix(file, []byte(armor.Header+"\n")) || bytes.HasPrefix(file, []byte(armor.Header+"\r\n")):
		src = armor.NewReader(bytes.NewReader(file))
	case bytes.HasPrefix(bytes.TrimLeft(file, " \t\r\n"), []byte("{")):
		return nil, fmt.Errorf("%w: it holds plaintext JSON (an unencrypted key file)", ErrNotEncrypted)
	default:
		return nil, fmt.Errorf("%w: no age header", ErrNotEncrypted)
	}
	r, err := age.Decrypt(src, identities...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) || errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, fmt.Errorf("%w (%v)", ErrWrongKey, err)
		}
		// Also: an scrypt stanza asking for a work factor over
		// ScryptWorkFactor ("scrypt work factor too large").
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, int64(maxPlain)+1))
	if err != nil {
		clear(plain)
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(plain) > maxPlain {
		clear(plain)
		return nil, fmt.Errorf("%w: plaintext over %d bytes", ErrMalformed, maxPlain)
	}
	return plain, nil
}

// OpenSealed reads the key file name, at most [MaxFileSize]+1 bytes of it,
// and returns its plaintext (see [Unseal]). Errors name the file.
func OpenSealed(name string, maxPlain int, identities ...age.Identity) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	plain, err := Unseal(b, maxPlain, identities...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return plain, nil
}

// CreateSealed seals plain to the recipients (see [Seal]) and writes it to
// a new file name with mode 0600, failing if name exists (os.ErrExist):
// keys are never overwritten. The file and its directory are synced
// before CreateSealed returns.
func CreateSealed(name string, plain []byte, recipients ...age.Recipient) error {
	b, err := Seal(plain, recipients...)
	if err != nil {
		return err
	}
	return createFile(name, b)
}

// createFile writes b to a new file name (mode 0600, os.ErrExist if it
// exists) and syncs it and its directory.
func createFile(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
