package iamservice

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// CredentialReportActions are the credential report's actions.
var CredentialReportActions = []string{"GenerateCredentialReport", "GetCredentialReport"}

// Reports are store objects of the account (store.Objects), one of each
// kind, so that every node serves the one any node generated.
const (
	KindCredentialReport = "iam.credential-report"
	reportID             = "current"
	// ReportTTL is how long a generated report is reused (AWS: "as often
	// as once every four hours"); an older one has expired.
	ReportTTL = 4 * time.Hour
)

// storedReport is a report's body in the store.
type storedReport struct {
	Generated time.Time `json:"generated"`
	// Content is the report: the credential report's CSV, the findings
	// report's JSON.
	Content json.RawMessage `json:"content,omitempty"`
	CSV     string          `json:"csv,omitempty"`
}

// reportNotPresentError: GetCredentialReport before any
// GenerateCredentialReport (AWS: ReportNotPresent, 410).
type reportNotPresentError struct{ action string }

// Error says how to generate a report.
func (e reportNotPresentError) Error() string {
	return "No report exists. Generate one with " + e.action + "."
}

// reportExpiredError: the report is older than ReportTTL (AWS:
// ReportExpired, 410).
type reportExpiredError struct{ action string }

// Error says the report expired and how to generate a new one.
func (e reportExpiredError) Error() string {
	return "The report has expired: it is older than 4 hours. Generate a new one with " + e.action + "."
}

// GenerateCredentialReport generates the account's credential report,
// unless one generated less than ReportTTL ago exists: then it answers
// COMPLETE, as AWS does. A new report is generated before the answer,
// which is STARTED (the generation AWS starts has then ended, and the
// next call answers COMPLETE).
func (s *Service) GenerateCredentialReport(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, now time.Time) (*iamapi.GenerateCredentialReportResponse, error) {
	cur, loadErr := s.loadReport(ctx, p.Account, KindCredentialReport)
	switch {
	case loadErr == nil && now.Sub(cur.Generated) < ReportTTL:
		return &iamapi.GenerateCredentialReportResponse{State: iamapi.ReportStateTypeComplete}, nil
	case loadErr != nil && !errors.Is(loadErr, store.ErrNotFound):
		return nil, loadErr
	}
	if err := s.generateOnce(ctx, p.Account, KindCredentialReport, func() error {
		_, err := s.generateCredentialReport(ctx, p.Account, now)
		return err
	}); err != nil {
		return nil, err
	}
	return &iamapi.GenerateCredentialReportResponse{State: iamapi.ReportStateTypeStarted, Description: startedDescription(loadErr)}, nil
}

// generateOnce runs gen, which generates the account's report of kind,
// unless a call is already generating it: then it waits for that one's
// result. A report walks the whole account; the calls made meanwhile
// (a principal repeating Generate*Report) share one walk.
func (s *Service) generateOnce(ctx context.Context, account, kind string, gen func() error) error {
	_, err, _ := s.reports.Do(kind+"\x00"+account, func() (any, error) { return nil, gen() })
	return err
}

// startedDescription is a STARTED answer's Description: whether there was
// no report (loading it returned ErrNotFound) or an expired one.
func startedDescription(loadErr error) string {
	if loadErr != nil {
		return "No report exists. Starting a new report generation task"
	}
	return "The report is older than 4 hours. Starting a new report generation task"
}

// GetCredentialReport returns the account's credential report (CSV).
func (s *Service) GetCredentialReport(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, now time.Time) (*iamapi.GetCredentialReportResponse, error) {
	r, err := s.currentReport(ctx, p.Account, KindCredentialReport, "GenerateCredentialReport", now)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetCredentialReportResponse{Content: []byte(r.CSV), ReportFormat: iamapi.ReportFormatTypeTextCsv, GeneratedTime: utc(r.Generated)}, nil
}

// currentReport loads the account's report of kind, refusing a missing or
// expired one.
func (s *Service) currentReport(ctx context.Context, account, kind, generate string, now time.Time) (storedReport, error) {
	r, err := s.loadReport(ctx, account, kind)
	if errors.Is(err, store.ErrNotFound) {
		return r, reportNotPresentError{generate}
	}
	if err != nil {
		return r, err
	}
	if now.Sub(r.Generated) >= ReportTTL {
		return r, reportExpiredError{generate}
	}
	return r, nil
}

// loadReport reads the account's stored report of kind (store.ErrNotFound
// when there is none).
func (s *Service) loadReport(ctx context.Context, account, kind string) (storedReport, error) {
	var r storedReport
	o, err := s.st.Objects().Get(ctx, account, kind, reportID)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(o.Body, &r)
}

// saveReport stores r as the account's report of kind, in place of the
// one before (two nodes generating at once: the last one stays).
func (s *Service) saveReport(ctx context.Context, account, kind string, r storedReport) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	o := store.Object{Account: account, Kind: kind, ID: reportID, Body: body, Created: r.Generated, Updated: r.Generated}
	err = s.st.Objects().Create(ctx, o)
	if errors.Is(err, store.ErrConflict) {
		err = s.st.Objects().Update(ctx, o)
	}
	return err
}

// credentialRow is one user's line of the credential report, as the
// findings read it.
type credentialRow struct {
	user         iam.User
	password     bool
	mfa          bool
	keys         []iam.AccessKey // at most two, oldest first
	passwordLine [3]string       // password_last_used .. password_next_rotation
}

// credentialHeader is the report's first line: AWS's columns, in its
// order.
var credentialHeader = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

// Values the report writes where there is no date, as AWS writes them.
const (
	notApplicable = "N/A"
	noInformation = "no_information"
	notSupported  = "not_supported"
)

// reportTime is a report's date: ISO 8601 with the offset spelled out,
// as AWS writes it ("2026-03-01T12:00:00+00:00").
func reportTime(t time.Time) string { return utc(t).Format("2006-01-02T15:04:05+00:00") }

// generateCredentialReport builds the account's credential report and
// stores it. It reads every user, with its keys and login profile: a
// walk over the account, which is why the report is generated once and
// kept.
func (s *Service) generateCredentialReport(ctx context.Context, account string, now time.Time) ([]credentialRow, error) {
	rows, acct, err := s.credentialRows(ctx, account)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(credentialHeader)
	_ = w.Write(rootLine(acct))
	for i := range rows {
		_ = w.Write(rows[i].line())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return rows, s.saveReport(ctx, account, KindCredentialReport, storedReport{Generated: utc(now), CSV: buf.String()})
}

// rootLine is the account's line: Brevet has no root user that signs in,
// so nothing is active.
func rootLine(a iam.Account) []string {
	l := []string{"<root_account>", "arn:aws:iam::" + a.ID + ":root", reportTime(a.Created), notSupported, noInformation, notSupported, notSupported, "false"}
	l = append(l, noKey[:]...)
	l = append(l, noKey[:]...)
	return append(l, "false", notApplicable, "false", notApplicable)
}

var noKey = [5]string{"false", notApplicable, notApplicable, notApplicable, notApplicable}

// line is the user's line of the report, in credentialHeader's order.
func (r *credentialRow) line() []string {
	u := r.user
	l := []string{u.Name, u.ARN(), reportTime(u.Created), boolText(r.password)}
	l = append(l, r.passwordLine[:3]...)
	l = append(l, boolText(r.mfa))
	for i := range 2 {
		if i >= len(r.keys) {
			l = append(l, noKey[:]...)
			continue
		}
		k := r.keys[i]
		used, region, service := notApplicable, notApplicable, notApplicable
		if !k.LastUsed.Date.IsZero() {
			used = reportTime(k.LastUsed.Date)
			if k.LastUsed.Region != "" {
				region = k.LastUsed.Region
			}
			if k.LastUsed.Service != "" {
				service = k.LastUsed.Service
			}
		}
		l = append(l, boolText(k.Status == iam.AccessKeyActive), reportTime(k.Created), used, region, service)
	}
	return append(l, "false", notApplicable, "false", notApplicable)
}

// boolText is b as the report writes it: true or false.
func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// credentialRows reads every user of the account with what the report
// says of it: the MFA devices and the password policy once, each user's
// keys and login profile.
func (s *Service) credentialRows(ctx context.Context, account string) ([]credentialRow, iam.Account, error) {
	acct, err := s.st.Accounts().Get(ctx, account)
	if err != nil {
		return nil, acct, notFoundAs(err, iam.KindAccount, account)
	}
	devs, err := s.st.MFADevices().List(ctx, account)
	if err != nil {
		return nil, acct, err
	}
	withMFA := map[string]bool{}
	for _, d := range devs {
		if d.UserName != "" {
			withMFA[iam.NameKey(d.UserName)] = true
		}
	}
	maxAge := 0
	switch pp, err := s.st.PasswordPolicies().Get(ctx, account); {
	case err == nil:
		maxAge = pp.MaxPasswordAge
	case !errors.Is(err, store.ErrNotFound):
		return nil, acct, err
	}
	users, err := s.st.Users().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, acct, err
	}
	rows := make([]credentialRow, len(users))
	for i, u := range users {
		r := &rows[i]
		r.user, r.mfa = u, withMFA[iam.NameKey(u.Name)]
		if r.keys, err = s.st.AccessKeys().ListForUser(ctx, account, u.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, acct, err
		}
		if len(r.keys) > 2 {
			r.keys = r.keys[:2]
		}
		lp, err := s.st.LoginProfiles().Get(ctx, account, u.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			r.passwordLine = [3]string{notApplicable, notApplicable, notApplicable}
			continue
		case err != nil:
			return nil, acct, err
		}
		r.password = true
		r.passwordLine = [3]string{noInformation, reportTime(lp.PasswordChanged), notApplicable}
		if !u.PasswordLastUsed.IsZero() {
			r.passwordLine[0] = reportTime(u.PasswordLastUsed)
		}
		if maxAge > 0 {
			r.passwordLine[2] = reportTime(lp.PasswordChanged.AddDate(0, 0, maxAge))
		}
	}
	return rows, acct, nil
}
