package did

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestNewInsecureLocalResolver: the development resolver reaches a did:web
// document served over plain HTTP on loopback, which the default resolver
// refuses.
func TestNewInsecureLocalResolver(t *testing.T) {
	srv := httptest.NewServer(nil)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	id, err := WebDID(host)
	if err != nil {
		t.Fatal(err)
	}
	doc := webDoc(t, id)
	h, err := DocumentHandler(doc)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h

	local, err := NewInsecureLocalResolver()
	if err != nil {
		t.Fatal(err)
	}
	res, err := local.Resolve(context.Background(), id)
	if err != nil || res.Document.ID != id {
		t.Fatalf("local resolver: %v", err)
	}
	strict, err := NewResolver(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Resolve(context.Background(), id); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("default resolver on a loopback did:web: %v, want ErrForbiddenAddress", err)
	}
}
