package iamservice

import (
	"context"
	"errors"
	"strings"
	"time"

	"rsc.io/qr"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// userNameOr returns name, or the calling user's name when it is empty
// (actions whose UserName defaults to the caller).
func userNameOr(p *identity.Principal, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	if p.Type == identity.IAMUser && p.UserName != "" {
		return p.UserName, nil
	}
	return "", userNameRequiredError{}
}

// userNameRequiredError: an action whose UserName defaults to the caller
// was called without one by credentials that are not a user's (AWS:
// ValidationError, a sentence of its own).
type userNameRequiredError struct{}

func (userNameRequiredError) Error() string {
	return "Must specify userName when calling with non-User credentials"
}

// CreateAccessKey makes a long-term access key for a user (at most two).
// The secret is returned once; the store keeps it sealed under the master
// key, bound to the key id.
func (s *Service) CreateAccessKey(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccessKeyRequest, now time.Time) (*iamapi.CreateAccessKeyResponse, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	id, err := credential.NewAccessKeyID(credential.PrefixAccessKey, p.Account, s.rand)
	if err != nil {
		return nil, err
	}
	secret, err := credential.NewSecretAccessKey(s.rand)
	if err != nil {
		return nil, err
	}
	sealed, err := s.mk.Seal([]byte(secret.Reveal()), AccessKeyPurpose(id))
	if err != nil {
		return nil, err
	}
	var k iam.AccessKey
	err = s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, name)
		if err != nil {
			return err
		}
		keys, err := r.AccessKeys().ListForUser(ctx, p.Account, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= iam.MaxAccessKeysPerUser {
			return &iam.LimitExceededError{Quota: iam.QuotaAccessKeysPerUser, Limit: iam.MaxAccessKeysPerUser}
		}
		k = iam.AccessKey{Account: p.Account, UserName: u.Name, ID: id, Status: iam.AccessKeyActive, Created: now, SecretCiphertext: sealed}
		return r.AccessKeys().Create(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateAccessKeyResponse{AccessKey: iamapi.AccessKey{UserName: k.UserName, AccessKeyId: id,
		Status: string(k.Status), SecretAccessKey: secret.Reveal(), CreateDate: utc(now)}}, nil
}

// ListAccessKeys lists a user's access keys without their secrets.
func (s *Service) ListAccessKeys(ctx context.Context, p *identity.Principal, in *iamapi.ListAccessKeysRequest, _ time.Time) (*iamapi.ListAccessKeysResponse, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	keys, err := s.st.AccessKeys().ListForUser(ctx, p.Account, name)
	if err != nil {
		return nil, notFoundAs(err, iam.KindUser, name)
	}
	pg, err := pageSlice(keys, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListAccessKeysResponse{AccessKeyMetadata: make([]iamapi.AccessKeyMetadata, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, k := range pg.items {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamapi.AccessKeyMetadata{UserName: k.UserName,
			AccessKeyId: k.ID, Status: string(k.Status), CreateDate: utc(k.Created)})
	}
	return out, nil
}

// userKey finds an access key of the named user in the account.
func userKey(ctx context.Context, r store.Repos, account, user, id string) (iam.AccessKey, error) {
	if _, err := getUser(ctx, r, account, user); err != nil {
		return iam.AccessKey{}, err
	}
	k, err := r.AccessKeys().Get(ctx, id)
	if err != nil {
		return k, notFoundAs(err, iam.KindAccessKey, id)
	}
	if k.Account != account || !strings.EqualFold(k.UserName, user) {
		return iam.AccessKey{}, &iam.NotFoundError{Kind: iam.KindAccessKey, Name: id}
	}
	return k, nil
}

// UpdateAccessKey activates or deactivates a key.
func (s *Service) UpdateAccessKey(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAccessKeyRequest, _ time.Time) (*awsquery.Empty, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	if st := iam.AccessKeyStatus(in.Status); st != iam.AccessKeyActive && st != iam.AccessKeyInactive {
		return nil, &iam.InvalidInputError{Message: "The status of an access key must be Active or Inactive."}
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := userKey(ctx, r, p.Account, name, in.AccessKeyId); err != nil {
			return err
		}
		return r.AccessKeys().SetStatus(ctx, in.AccessKeyId, iam.AccessKeyStatus(in.Status))
	})
	return &awsquery.Empty{}, err
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccessKeyRequest, _ time.Time) (*awsquery.Empty, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := userKey(ctx, r, p.Account, name, in.AccessKeyId); err != nil {
			return err
		}
		return r.AccessKeys().Delete(ctx, in.AccessKeyId)
	})
	return &awsquery.Empty{}, err
}

// GetAccessKeyLastUsed says when a key of the caller's account was last
// used; "N/A" for service and region when never, as AWS. A key the account
// does not hold is AccessDenied, as on AWS.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, p *identity.Principal, in *iamapi.GetAccessKeyLastUsedRequest, _ time.Time) (*iamapi.GetAccessKeyLastUsedResponse, error) {
	k, err := s.st.AccessKeys().Get(ctx, in.AccessKeyId)
	if errors.Is(err, store.ErrNotFound) || err == nil && k.Account != p.Account {
		// AWS does not say whether a key exists: an unknown key, or one of
		// another account, is refused as if the caller lacked permission.
		return nil, &keyLastUsedDeniedError{caller: p.CallerARN, keyID: in.AccessKeyId}
	}
	if err != nil {
		return nil, err
	}
	used := &iamapi.AccessKeyLastUsed{LastUsedDate: utc(k.LastUsed.Date), ServiceName: k.LastUsed.Service, Region: k.LastUsed.Region}
	if used.ServiceName == "" {
		used.ServiceName = "N/A"
	}
	if used.Region == "" {
		used.Region = "N/A"
	}
	return &iamapi.GetAccessKeyLastUsedResponse{UserName: k.UserName, AccessKeyLastUsed: used}, nil
}

// keyLastUsedDeniedError: GetAccessKeyLastUsed for a key the account does
// not hold (AWS: AccessDenied, in a sentence of its own: no colon after
// "perform", the key named as "access key ID", no reason).
type keyLastUsedDeniedError struct {
	caller, keyID string
}

func (e *keyLastUsedDeniedError) Error() string {
	return "User: " + e.caller + " is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key " + e.keyID
}

// mfaInUseError: EnableMFADevice on a device that is already assigned
// (AWS: EntityAlreadyExists).
type mfaInUseError struct{}

func (mfaInUseError) Error() string { return "MFA Device is already in use." }

// Time-step windows for the two actions that take two consecutive codes:
// enabling accepts a device up to five minutes off, resynchronising one up
// to thirty.
const (
	enableWindow = 10
	resyncWindow = 60
)

// mfaIssuer labels the device in authenticator apps.
const mfaIssuer = "Brevet"

// CreateVirtualMFADevice creates an unassigned virtual MFA device and
// returns its seed, once, as base32 text and as a QR code PNG.
func (s *Service) CreateVirtualMFADevice(ctx context.Context, p *identity.Principal, in *iamapi.CreateVirtualMFADeviceRequest, now time.Time) (*iamapi.CreateVirtualMFADeviceResponse, error) {
	path := pathOr(in.Path)
	if err := iam.ValidateMFADeviceName(in.VirtualMFADeviceName); err != nil {
		return nil, err
	}
	if err := iam.ValidatePath(path); err != nil {
		return nil, err
	}
	if err := iam.ValidateTags("tags", fromTags(in.Tags)); err != nil {
		return nil, err
	}
	seed, err := totp.NewSeed(s.rand)
	if err != nil {
		return nil, err
	}
	serial := iam.MFASerial(p.Account, path, in.VirtualMFADeviceName)
	sealed, err := s.mk.Seal(seed.Bytes(), MFASeedPurpose(serial))
	if err != nil {
		return nil, err
	}
	code, err := qr.Encode(seed.URI(mfaIssuer, in.VirtualMFADeviceName+"@"+p.Account), qr.M)
	if err != nil {
		return nil, err
	}
	d := iam.VirtualMFADevice{Account: p.Account, SerialNumber: serial, Path: path, Name: in.VirtualMFADeviceName,
		SeedCiphertext: sealed, Created: now, Tags: fromTags(in.Tags)}
	if err := s.st.MFADevices().Create(ctx, d); err != nil {
		return nil, conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindMFADevice, Name: serial})
	}
	return &iamapi.CreateVirtualMFADeviceResponse{VirtualMFADevice: iamapi.VirtualMFADevice{SerialNumber: serial,
		Base32StringSeed: []byte(seed.Base32()), QRCodePNG: code.PNG(), Tags: toTags(d.Tags)}}, nil
}

// getDevice reads a device of the caller's account.
func getDevice(ctx context.Context, r store.Repos, account, serial string) (iam.VirtualMFADevice, error) {
	d, err := r.MFADevices().Get(ctx, serial)
	if err != nil {
		return d, notFoundAs(err, iam.KindMFADevice, serial)
	}
	if d.Account != account {
		return iam.VirtualMFADevice{}, &iam.NotFoundError{Kind: iam.KindMFADevice, Name: serial}
	}
	return d, nil
}

func (s *Service) openSeed(d iam.VirtualMFADevice) (totp.Seed, error) {
	b, err := s.mk.Open(d.SeedCiphertext, MFASeedPurpose(d.SerialNumber))
	if err != nil {
		return totp.Seed{}, err
	}
	defer clear(b)
	return totp.SeedFromBytes(b)
}

// EnableMFADevice assigns a virtual MFA device to a user once two
// consecutive codes from it check out.
func (s *Service) EnableMFADevice(ctx context.Context, p *identity.Principal, in *iamapi.EnableMFADeviceRequest, now time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		u, err := getUser(ctx, r, p.Account, in.UserName)
		if err != nil {
			return err
		}
		d, err := getDevice(ctx, r, p.Account, in.SerialNumber)
		if err != nil {
			return err
		}
		if d.UserName != "" {
			return mfaInUseError{}
		}
		mine, err := r.MFADevices().ListForUser(ctx, p.Account, u.Name)
		if err != nil {
			return err
		}
		if len(mine) >= iam.MaxMFADevicesPerUser {
			return &iam.LimitExceededError{Quota: iam.QuotaMFADevicesPerUser, Limit: iam.MaxMFADevicesPerUser}
		}
		seed, err := s.openSeed(d)
		if err != nil {
			return err
		}
		step, err := totp.VerifyPair(seed, in.AuthenticationCode1, in.AuthenticationCode2, now, enableWindow)
		if err != nil {
			return err
		}
		return conflictAs(r.MFADevices().Assign(ctx, d.SerialNumber, u.Name, now, step), mfaInUseError{})
	})
	return &awsquery.Empty{}, err
}

// userDevice reads a device assigned to the named user.
func userDevice(ctx context.Context, r store.Repos, account, user, serial string) (iam.VirtualMFADevice, error) {
	if _, err := getUser(ctx, r, account, user); err != nil {
		return iam.VirtualMFADevice{}, err
	}
	d, err := getDevice(ctx, r, account, serial)
	if err != nil {
		return d, err
	}
	if !strings.EqualFold(d.UserName, user) {
		return iam.VirtualMFADevice{}, &iam.NotFoundError{Kind: iam.KindMFADevice, Name: serial}
	}
	return d, nil
}

// ResyncMFADevice realigns a drifted device with two consecutive codes.
func (s *Service) ResyncMFADevice(ctx context.Context, p *identity.Principal, in *iamapi.ResyncMFADeviceRequest, now time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		d, err := userDevice(ctx, r, p.Account, in.UserName, in.SerialNumber)
		if err != nil {
			return err
		}
		seed, err := s.openSeed(d)
		if err != nil {
			return err
		}
		step, err := totp.VerifyPair(seed, in.AuthenticationCode1, in.AuthenticationCode2, now, resyncWindow)
		if err != nil {
			return err
		}
		err = r.MFADevices().AdvanceStep(ctx, d.SerialNumber, step)
		if errors.Is(err, store.ErrConflict) {
			return &totp.VerifyError{Reason: totp.Reused}
		}
		return err
	})
	return &awsquery.Empty{}, err
}

// DeactivateMFADevice unassigns a device from its user.
func (s *Service) DeactivateMFADevice(ctx context.Context, p *identity.Principal, in *iamapi.DeactivateMFADeviceRequest, _ time.Time) (*awsquery.Empty, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		d, err := userDevice(ctx, r, p.Account, name, in.SerialNumber)
		if err != nil {
			return err
		}
		return r.MFADevices().Unassign(ctx, d.SerialNumber)
	})
	return &awsquery.Empty{}, err
}

// DeleteVirtualMFADevice deletes an unassigned device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, p *identity.Principal, in *iamapi.DeleteVirtualMFADeviceRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		d, err := getDevice(ctx, r, p.Account, in.SerialNumber)
		if err != nil {
			return err
		}
		if d.UserName != "" {
			return &iam.DeleteConflictError{Reason: iam.ConflictMFAInUse}
		}
		return conflictAs(r.MFADevices().Delete(ctx, d.SerialNumber), &iam.DeleteConflictError{Reason: iam.ConflictMFAInUse})
	})
	return &awsquery.Empty{}, err
}

// ListMFADevices lists the devices assigned to a user.
func (s *Service) ListMFADevices(ctx context.Context, p *identity.Principal, in *iamapi.ListMFADevicesRequest, _ time.Time) (*iamapi.ListMFADevicesResponse, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	if _, err := getUser(ctx, s.st, p.Account, name); err != nil {
		return nil, err
	}
	ds, err := s.st.MFADevices().ListForUser(ctx, p.Account, name)
	if err != nil {
		return nil, err
	}
	pg, err := pageSlice(ds, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListMFADevicesResponse{MFADevices: make([]iamapi.MFADevice, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, d := range pg.items {
		out.MFADevices = append(out.MFADevices, iamapi.MFADevice{UserName: d.UserName, SerialNumber: d.SerialNumber, EnableDate: utc(d.EnableDate)})
	}
	return out, nil
}

// ListVirtualMFADevices lists the account's virtual devices, optionally
// only the assigned or unassigned ones.
func (s *Service) ListVirtualMFADevices(ctx context.Context, p *identity.Principal, in *iamapi.ListVirtualMFADevicesRequest, _ time.Time) (*iamapi.ListVirtualMFADevicesResponse, error) {
	all, err := s.st.MFADevices().List(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	var ds []iam.VirtualMFADevice
	for _, d := range all {
		switch {
		case in.AssignmentStatus == iamapi.AssignmentStatusTypeAssigned && d.UserName == "",
			in.AssignmentStatus == iamapi.AssignmentStatusTypeUnassigned && d.UserName != "":
			continue
		}
		ds = append(ds, d)
	}
	pg, err := pageSlice(ds, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListVirtualMFADevicesResponse{VirtualMFADevices: make([]iamapi.VirtualMFADevice, 0, len(pg.items)), IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, d := range pg.items {
		v := iamapi.VirtualMFADevice{SerialNumber: d.SerialNumber, EnableDate: utc(d.EnableDate), Tags: toTags(d.Tags)}
		if d.UserName != "" {
			if u, err := s.st.Users().Get(ctx, p.Account, d.UserName); err == nil {
				uu := toUser(u, false)
				v.User = &uu
			}
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, v)
	}
	return out, nil
}
