package witness_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did/fetch"
)

type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStore) Load(origin string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[origin], nil
}

func (s *memStore) Swap(origin string, old, next []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(s.m[origin]) != string(old) {
		return witness.ErrConflict
	}
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[origin] = next
	return nil
}

// dirGetter serves a log directory like a static web server.
type dirGetter string

func (d dirGetter) Get(_ context.Context, rawURL, _ string) (*fetch.Response, error) {
	_, rel, _ := strings.Cut(strings.TrimPrefix(rawURL, "http://"), "/")
	b, err := os.ReadFile(filepath.Join(string(d), filepath.FromSlash(rel)))
	if err != nil || strings.Contains(rel, "..") {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	return &fetch.Response{StatusCode: 200, Status: "200 OK", Body: b}, nil
}
