package jsonerror_test

import (
	"net/http/httptest"
	"testing"

	"github.com/rampart-go/rampart/internal/jsonerror"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	jsonerror.Write(w, 413, jsonerror.Body("REQUEST_TOO_LARGE", `say "no" & <stop>`))
	const want = `{"errors":[{"message":"say \"no\" \u0026 \u003cstop\u003e","extensions":{"code":"REQUEST_TOO_LARGE"}}]}` + "\n"
	if w.Code != 413 || w.Body.String() != want {
		t.Fatalf("got %d %q, want 413 %q", w.Code, w.Body.String(), want)
	}
	for h, v := range map[string]string{"Content-Type": "application/json; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Content-Length": "104"} {
		if got := w.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
}
