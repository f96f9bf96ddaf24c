package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// AWSManagedFile is what `brevet import --aws-managed-policies` reads: the
// JSON the AWS CLI prints for
//
//	aws iam get-account-authorization-details --filter AWSManagedPolicy
//
// (ManagedPolicyDetail entries under Policies, each with its
// PolicyVersionList), or list-policies output whose entries each carry the
// PolicyVersion that get-policy-version prints for their default version.
// Both forms may be mixed; an entry may carry both.
type AWSManagedFile struct {
	Policies []AWSManagedPolicy
	// The entity lists get-account-authorization-details prints; they must
	// be empty (an account export is imported without the flag).
	UserDetailList, GroupDetailList, RoleDetailList []json.RawMessage
}

// AWSManagedPolicy is one entry of AWSManagedFile.Policies. Fields AWS
// prints that Brevet keeps itself (AttachmentCount, IsAttachable, ...) are
// ignored.
type AWSManagedPolicy struct {
	PolicyName, PolicyId, Arn, Path, Description string
	DefaultVersionId                             string
	CreateDate, UpdateDate                       time.Time
	PolicyVersionList                            []PolicyVersion
	// PolicyVersion is get-policy-version's output merged into a
	// list-policies entry.
	PolicyVersion *PolicyVersion
}

// AWSManagedSummary counts what ImportAWSManaged did.
type AWSManagedSummary struct {
	Added, Updated, Unchanged int
}

// ReadAWSManaged decodes an AWS managed policies file. It refuses a file
// that is not one JSON object with a Policies list, or that carries users,
// groups or roles.
func ReadAWSManaged(r io.Reader) (*AWSManagedFile, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("importer: reading the AWS managed policies: %w", err)
	}
	if _, ok := raw["Policies"]; !ok {
		return nil, errors.New("importer: the file has no Policies list; produce it with `aws iam get-account-authorization-details --filter AWSManagedPolicy`")
	}
	var f AWSManagedFile
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("importer: reading the AWS managed policies: %w", err)
	}
	if n := len(f.UserDetailList) + len(f.GroupDetailList) + len(f.RoleDetailList); n > 0 {
		return nil, fmt.Errorf("importer: the file holds %d users, groups or roles; import an account export with `brevet import FILE`, "+
			"and AWS managed policies from the output of --filter AWSManagedPolicy alone", n)
	}
	return &f, nil
}

// awsPolicyID is the shape of AWS's managed policy ids, kept when the file
// gives one.
var awsPolicyID = regexp.MustCompile(`^ANPA[A-Z0-9]{17}$`)

// awsManaged is one policy of the file, checked.
type awsManaged struct {
	pol      iam.ManagedPolicy
	versions []iam.PolicyVersion // by number
	def      string
}

// checkAWSManaged validates one entry: an AWS managed policy ARN that
// agrees with the name and path given, at least one version, version ids
// vN given once, documents that parse, a default among the versions.
func checkAWSManaged(p AWSManagedPolicy, now time.Time) (awsManaged, error) {
	ref, err := iam.ParseEntityARN(p.Arn)
	if err != nil || ref.Type != iam.ResourcePolicy || ref.Account != iam.AWSAccount {
		return awsManaged{}, fmt.Errorf("%q is not an AWS managed policy ARN (arn:aws:iam::aws:policy/PATH/NAME)", p.Arn)
	}
	if p.PolicyName != "" && p.PolicyName != ref.Name {
		return awsManaged{}, fmt.Errorf("the PolicyName %q does not match the ARN", p.PolicyName)
	}
	if p.Path != "" && p.Path != ref.Path {
		return awsManaged{}, fmt.Errorf("the Path %q does not match the ARN", p.Path)
	}
	or := func(t time.Time) time.Time {
		if t.IsZero() {
			return now
		}
		return t.UTC()
	}
	m := awsManaged{pol: iam.ManagedPolicy{Account: iam.AWSAccount, Name: ref.Name, Path: ref.Path,
		Description: p.Description, Created: or(p.CreateDate), Updated: or(p.UpdateDate)}}
	if awsPolicyID.MatchString(p.PolicyId) {
		m.pol.ID = p.PolicyId
	}
	all := append([]PolicyVersion(nil), p.PolicyVersionList...)
	if p.PolicyVersion != nil {
		all = append(all, *p.PolicyVersion)
	}
	seen := map[string]int{}
	flagged := ""
	for _, v := range all {
		if _, err := iam.PolicyVersionNumber(v.VersionId); err != nil {
			return awsManaged{}, err
		}
		if err := checkAWSDocument(ref.Name, string(v.Document)); err != nil {
			return awsManaged{}, fmt.Errorf("version %s: %w", v.VersionId, err)
		}
		if v.IsDefaultVersion {
			flagged = v.VersionId
		}
		pv := iam.PolicyVersion{VersionID: v.VersionId, Document: string(v.Document), Created: or(v.CreateDate)}
		if i, dup := seen[v.VersionId]; dup {
			if m.versions[i].Document != pv.Document {
				return awsManaged{}, fmt.Errorf("version %s is given twice with different documents", v.VersionId)
			}
			continue
		}
		seen[v.VersionId] = len(m.versions)
		m.versions = append(m.versions, pv)
	}
	if len(m.versions) == 0 {
		return awsManaged{}, errors.New("no PolicyVersionList or PolicyVersion: the file has no document for it")
	}
	sort.Slice(m.versions, func(i, j int) bool {
		a, _ := iam.PolicyVersionNumber(m.versions[i].VersionID)
		b, _ := iam.PolicyVersionNumber(m.versions[j].VersionID)
		return a < b
	})
	switch m.def = p.DefaultVersionId; {
	case m.def == "" && flagged != "":
		m.def = flagged
	case m.def == "":
		m.def = m.versions[len(m.versions)-1].VersionID
	}
	if _, ok := seen[m.def]; !ok {
		return awsManaged{}, fmt.Errorf("default version %s is not among the versions given", m.def)
	}
	return m, nil
}

// checkAWSDocument checks that an AWS managed document is a valid
// identity policy that compiles, so that it evaluates once attached. The
// API's size and character quotas for customer documents do not apply:
// AWS's documents may exceed them.
func checkAWSDocument(name, doc string) error {
	if doc == "" {
		return errors.New("no Document")
	}
	parsed, err := policy.ParseAndValidate([]byte(doc), policy.TypeIdentity)
	if err == nil {
		_, err = policy.Compile(parsed, policy.TypeIdentity, name)
	}
	if err != nil {
		return fmt.Errorf("the document does not parse: %w", err)
	}
	return nil
}

// ImportAWSManaged upserts the file's policies as AWS managed policies in
// one transaction: nothing is written unless every policy of the file is
// valid. A policy not yet stored is created with the file's PolicyId (a
// new one when the file gives none), dates, description and versions
// under their own ids. A stored one gains the file's versions (a version
// id it holds takes the file's document) and the file's default, so the
// entities it is attached to are governed by the new default; it keeps its
// attachments and its other versions, except Brevet's built-in document
// (its v1, when the file has no v1), which goes. A stored policy that is
// attached to nothing and is Brevet's built-in one, or has another
// PolicyId (an earlier import under another id), is replaced outright.
// Policies the file does not name are left as they are.
func ImportAWSManaged(ctx context.Context, st store.Store, f *AWSManagedFile, now time.Time, rnd io.Reader) (AWSManagedSummary, error) {
	checked, err := checkAWSManagedFile(f, now)
	if err != nil {
		return AWSManagedSummary{}, err
	}
	var sum AWSManagedSummary
	err = st.Tx(ctx, func(r store.Repos) error {
		sum = AWSManagedSummary{}
		im := &run{ctx: ctx, r: r, opts: Options{Now: now, Rand: rnd}}
		if err := im.ensureAccount(iam.AWSAccount); err != nil {
			return err
		}
		for _, m := range checked {
			if err := im.upsertAWSManaged(m, &sum); err != nil {
				return &Error{Entity: "policy " + m.pol.ARN(), Err: err}
			}
		}
		return nil
	})
	return sum, err
}

// CheckAWSManaged validates f as ImportAWSManaged does, writing nothing:
// the first bad policy is returned as an *Error naming it.
func CheckAWSManaged(f *AWSManagedFile) error {
	_, err := checkAWSManagedFile(f, time.Time{})
	return err
}

func checkAWSManagedFile(f *AWSManagedFile, now time.Time) ([]awsManaged, error) {
	checked := make([]awsManaged, 0, len(f.Policies))
	byARN := map[string]bool{}
	for _, p := range f.Policies {
		m, err := checkAWSManaged(p, now)
		if err != nil {
			return nil, &Error{Entity: "policy " + policyLabel(p), Err: err}
		}
		if arn := m.pol.ARN(); byARN[arn] {
			return nil, &Error{Entity: "policy " + policyLabel(p), Err: errors.New("given twice")}
		}
		byARN[m.pol.ARN()] = true
		checked = append(checked, m)
	}
	return checked, nil
}

func policyLabel(p AWSManagedPolicy) string {
	if p.Arn != "" {
		return p.Arn
	}
	if p.PolicyName != "" {
		return p.PolicyName
	}
	return "(no Arn)"
}

func (im *run) upsertAWSManaged(m awsManaged, sum *AWSManagedSummary) error {
	arn := m.pol.ARN()
	existing, err := im.r.Policies().Get(im.ctx, arn)
	switch {
	case errors.Is(err, store.ErrNotFound):
		sum.Added++
		return im.createAWSManaged(m)
	case err != nil:
		return err
	}
	builtin, err := im.builtinVersion(m)
	if err != nil {
		return err
	}
	if existing.AttachmentCount == 0 && existing.BoundaryUsageCount == 0 && (builtin || m.pol.ID != "" && existing.ID != m.pol.ID) {
		if err := im.r.Policies().Delete(im.ctx, arn); err != nil {
			return err
		}
		sum.Updated++
		return im.createAWSManaged(m)
	}
	same, err := im.holdsVersions(arn, existing.DefaultVersion, m)
	if err != nil {
		return err
	}
	if same && !builtin {
		sum.Unchanged++
		return nil
	}
	for _, v := range m.versions {
		if err := im.r.Policies().PutVersion(im.ctx, arn, v); err != nil {
			return err
		}
	}
	sum.Updated++
	if err := im.r.Policies().SetDefaultVersion(im.ctx, arn, m.def, m.pol.Updated); err != nil {
		return err
	}
	if builtin {
		return im.r.Policies().DeleteVersion(im.ctx, arn, "v1")
	}
	return nil
}

// builtinVersion reports whether the stored policy still holds Brevet's
// built-in document as its v1 and the file has no v1 of its own: that
// version is Brevet's stand-in, not one of AWS's, and goes.
func (im *run) builtinVersion(m awsManaged) (bool, error) {
	if m.versions[0].VersionID == "v1" {
		return false, nil
	}
	for _, b := range managed.Policies() {
		if b.ARN() != m.pol.ARN() {
			continue
		}
		v, err := im.r.Policies().GetVersion(im.ctx, b.ARN(), "v1")
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil && v.Document == b.Document, err
	}
	return false, nil
}

// createAWSManaged creates the policy with its default document as a
// provisional v1, writes the file's versions under their ids and sets the
// default; the provisional v1 goes unless the file has a v1.
func (im *run) createAWSManaged(m awsManaged) error {
	pol := m.pol
	if pol.ID == "" {
		id, err := newPolicyID(iam.AWSAccount, im.opts.Rand)
		if err != nil {
			return err
		}
		pol.ID = id
	}
	arn := pol.ARN()
	if err := im.r.Policies().Create(im.ctx, pol, m.versions[0].Document); err != nil {
		return err
	}
	hasV1 := false
	for _, v := range m.versions {
		hasV1 = hasV1 || v.VersionID == "v1"
		if err := im.r.Policies().PutVersion(im.ctx, arn, v); err != nil {
			return err
		}
	}
	if err := im.r.Policies().SetDefaultVersion(im.ctx, arn, m.def, pol.Updated); err != nil {
		return err
	}
	if hasV1 {
		return nil
	}
	return im.r.Policies().DeleteVersion(im.ctx, arn, "v1")
}

// holdsVersions reports whether the stored policy already has every
// version of m, with the same documents, and m's default.
func (im *run) holdsVersions(arn, storedDefault string, m awsManaged) (bool, error) {
	if storedDefault != m.def {
		return false, nil
	}
	stored, err := im.r.Policies().ListVersions(im.ctx, arn)
	if err != nil {
		return false, err
	}
	docs := make(map[string]string, len(stored))
	for _, v := range stored {
		docs[v.VersionID] = v.Document
	}
	for _, v := range m.versions {
		if d, ok := docs[v.VersionID]; !ok || d != v.Document {
			return false, nil
		}
	}
	return true, nil
}
