package node

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/cputime"
	"github.com/brevet-dev/brevet/internal/loadgen"
)

// BenchmarkIdentityPoolCredentials measures identity pools' hot path for
// identities that come back (issue 20: GetId + GetCredentialsForIdentity
// at ≥ 3,000 pairs/s on this machine), through the whole server in
// process with the durable trail, the clients on the same cores:
//
//   - SignedIn: one op is GetId with a person's Logins, then
//     GetCredentialsForIdentity of the identity it names with the same
//     Logins (token verified, login found, role chosen, session minted,
//     both audited), over 256 people signed in once before;
//   - Guest: GetCredentialsForIdentity of a returning guest, no Logins;
//   - AssumeRole: the baseline of the same node, SigV4-signed, whose
//     ratio is the figure to compare between runs on a shared machine.
//
// The pool is set up as brevet bench sets it up (loadgen.SetUpPool): an
// OpenID provider of the benchmark's own on loopback HTTPS trusted by
// thumbprint, the pool and its roles made through the APIs.
func BenchmarkIdentityPoolCredentials(b *testing.B) {
	dataDir := filepath.Join(b.TempDir(), "data")
	n, _ := startNode(b, dataDir, Options{}, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000",
		"BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=1024", "BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE=1024")
	base := n.URL()
	creds := adminCreds(b, dataDir)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	idp, err := loadgen.StartPoolIdP()
	if err != nil {
		b.Fatal(err)
	}
	defer idp.Close()
	setup := &loadgen.Client{URL: base, Region: "us-east-1", Credentials: creds, HTTP: client}
	pool, err := setup.SetUpPool(context.Background(), idp, "bench-pool", 16, 256, 8, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}`
	if code, body := signedPostTo(b, client, base, "iam", creds, "Action=CreateRole&Version=2010-05-08&RoleName=bench&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		b.Fatalf("CreateRole: %d %s", code, body)
	}
	const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench"

	for _, clients := range []int{16, 64} {
		run := func(b *testing.B, metric string, op func(worker int, seq uint64) error) {
			var workers atomic.Int64
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Start()
			b.RunParallel(func(pb *testing.PB) {
				worker := int(workers.Add(1) - 1)
				for seq := uint64(0); pb.Next(); seq++ {
					if err := op(worker, seq); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), metric)
			// CPU time per op (server and clients: this process) moves
			// less than throughput when other work shares the cores.
			cpu.Report(b, b.N, "cpu-µs/op")
		}
		c := "/c" + strconv.Itoa(clients)
		b.Run("AssumeRole"+c, func(b *testing.B) {
			run(b, "req/s", func(int, uint64) error {
				if code, body := signedPostTo(b, client, base, "sts", creds, assume); code != 200 {
					return &poolBenchError{code, body}
				}
				return nil
			})
		})
		for _, w := range []loadgen.Workload{loadgen.PoolSignedInWorkload(pool.Pool, pool.SignedIn), loadgen.PoolGuestWorkload(pool.Guests)} {
			metric := "pairs/s"
			if w.Then == nil {
				metric = "req/s"
			}
			b.Run(w.Action+c, func(b *testing.B) {
				run(b, metric, func(worker int, seq uint64) error { return poolBenchOp(client, base, w, worker, seq) })
			})
		}
	}
}

// poolBenchOp is one op of a loadgen workload built with Build (and Then):
// the requests brevet bench sends.
func poolBenchOp(client *http.Client, base string, w loadgen.Workload, worker int, seq uint64) error {
	ctx := context.Background()
	req, err := w.Build(ctx, base, worker, seq, time.Now())
	if err != nil {
		return err
	}
	expect := w.Expect
	if w.Then != nil {
		expect = w.ExpectFirst
	}
	body, err := poolBenchSend(client, req, expect)
	if err != nil || w.Then == nil {
		return err
	}
	if req, err = w.Then(ctx, base, worker, seq, body, time.Now()); err != nil {
		return err
	}
	_, err = poolBenchSend(client, req, w.Expect)
	return err
}

func poolBenchSend(client *http.Client, req *http.Request, expect []byte) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || !bytes.Contains(body, expect) {
		return nil, &poolBenchError{resp.StatusCode, string(body)}
	}
	return body, nil
}

type poolBenchError struct {
	code int
	body string
}

func (e *poolBenchError) Error() string { return strconv.Itoa(e.code) + " " + e.body }
