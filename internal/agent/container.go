package agent

import (
	"crypto/subtle"
	"net/http"
	"strconv"

	"github.com/jonboulle/clockwork"
)

// Workload is one workload of the container credentials endpoint: the
// holder of Token gets the credentials its Keeper serves.
type Workload struct {
	// Token is the authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN).
	Token string
	// Keeper keeps the workload's role credentials.
	Keeper *Keeper
	// AccountID is the role's account, returned as AccountId.
	AccountID string
}

// Container is the container credentials endpoint
// (AWS_CONTAINER_CREDENTIALS_FULL_URI) for several workloads, each
// authenticated by its own token.
type Container struct {
	workloads []Workload
	clock     clockwork.Clock
	metrics   *Metrics
}

// NewContainer returns the container credentials handler.
func NewContainer(workloads []Workload, clock clockwork.Clock, m *Metrics) *Container {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Container{workloads: workloads, clock: clock, metrics: m}
}

// ContainerPath is the path the endpoint serves.
const ContainerPath = "/v1/credentials"

// maxAuthorization bounds the Authorization header compared.
const maxAuthorization = 4096

func (c *Container) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := c.serve(w, r)
	c.metrics.requests.WithLabelValues("container", strconv.Itoa(code)).Inc()
}

func (c *Container) serve(w http.ResponseWriter, r *http.Request) int {
	if r.URL.Path != ContainerPath {
		return containerError(w, http.StatusNotFound, "NotFound", "no such path")
	}
	if r.Method != http.MethodGet {
		return containerError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
	}
	wl := c.lookup(r.Header.Get("Authorization"))
	if wl == nil {
		return containerError(w, http.StatusUnauthorized, "AccessDenied", "missing or wrong authorization token")
	}
	cr, _, ok := wl.Keeper.Current(c.clock.Now())
	if !ok {
		return containerError(w, http.StatusServiceUnavailable, "CredentialsUnavailable",
			"the agent has no credentials for this workload's role")
	}
	role := wl.Keeper.Role
	if cr.RoleArn != "" {
		role = cr.RoleArn
	}
	return jsonBody(w, struct {
		AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn string
		AccountId                                                string `json:",omitempty"`
	}{cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken, imdsTime(cr.Expiration), role, wl.AccountID})
}

// lookup finds the workload whose token is auth, comparing every
// token in constant time.
func (c *Container) lookup(auth string) *Workload {
	if auth == "" || len(auth) > maxAuthorization {
		return nil
	}
	var found *Workload
	for i := range c.workloads {
		if subtle.ConstantTimeCompare([]byte(auth), []byte(c.workloads[i].Token)) == 1 && found == nil {
			found = &c.workloads[i]
		}
	}
	return found
}

func containerError(w http.ResponseWriter, status int, code, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(`{"code":"` + code + `","message":"` + msg + `"}`))
	return status
}
