package console

import (
	"net/http"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// dashboard is the console's home: the account, its counts and its
// security findings.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	sum, err := call(h, r, s, iamapi.GetAccountSummary, nil)
	if err != nil {
		return err
	}
	return h.render(w, r, s, http.StatusOK, "dashboard", "Dashboard", "dashboard", sum.SummaryMap)
}
