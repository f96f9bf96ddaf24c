package parity_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/mototest"
	"github.com/brevet-dev/brevet/internal/parity"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestMotoScore measures moto_server, the AWS emulator, on the parity
// suite, for comparison with Brevet's score (docs/iam.md). It is a
// measurement, not a check of Brevet, so it runs only when asked:
//
//	BREVET_PARITY_MOTO=1 go test -count=1 -run TestMotoScore -v ./internal/parity/
func TestMotoScore(t *testing.T) {
	if os.Getenv("BREVET_PARITY_MOTO") == "" {
		t.Skip("set BREVET_PARITY_MOTO=1 to measure moto_server on the parity suite")
	}
	files, err := parity.LoadDir("cases")
	if err != nil {
		t.Fatal(err)
	}
	var moto mototest.Server
	t.Cleanup(moto.Stop)
	base := moto.URL(t)
	admin := sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	send := parity.HTTPSender(base, admin, time.Now)
	var all []parity.Outcome
	for _, f := range files {
		resp, err := http.Post(base+"/moto-api/reset", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		outs := parity.Run(context.Background(), f, send, map[string]string{"account": "123456789012"})
		t.Logf("%s: %s", f.Name, parity.Tally(outs))
		all = append(all, outs...)
	}
	t.Logf("moto_server: %s", parity.Tally(all))
}
