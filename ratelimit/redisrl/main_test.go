package redisrl_test

import (
	"os"
	"testing"

	"github.com/rampart-go/rampart/internal/redistest"
)

// TestMain stops the shared redis-server that redistest may start.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
