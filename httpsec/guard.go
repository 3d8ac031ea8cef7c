package httpsec

import (
	"fmt"
	"net/http"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/telemetry"
)

// guard is what every refusing middleware of this package shares: its
// name in metrics, its mode, its instruments and its auditor.
type guard struct {
	name  string
	mode  rampart.Mode
	ins   *telemetry.Instruments
	audit *Auditor
}

// refuse records a refusal of r with code and status and reports whether
// the middleware must answer it (false in measure mode: the request goes
// on, counted with outcome "measured" and audited with a "measure mode"
// detail).
func (g guard) refuse(r *http.Request, code string, status int, detail string) bool {
	g.ins.Reject(r.Context(), g.name, code, g.mode)
	if g.mode == rampart.Measure {
		if detail != "" {
			detail += " "
		}
		g.audit.RejectRequest(r, code, status, detail+"measure mode: let through")
		return false
	}
	g.audit.RejectRequest(r, code, status, detail)
	return true
}

// checkMode refuses an invalid Mode.
func checkMode(what string, m rampart.Mode) error {
	if !m.Valid() {
		return fmt.Errorf("%w: httpsec: %s: invalid %v", rampart.ErrConfig, what, m)
	}
	return nil
}
