package detect

import (
	"github.com/kubeward/kubeward/internal/check"
)

// csrApproval detects approvals of certificate signing requests. An
// approved kubernetes.io/kube-apiserver-client CSR yields a client
// certificate for any user name and groups the requester chose, including
// system:masters, valid until it expires: no RBAC change shows it.
//
// Reads: verb, objectRef (certificatesigningrequests of
// certificates.k8s.io, subresource approval, name), the request body
// (spec.signerName, spec.username, status.conditions), user, the
// authorization decision and response code.
//
// Fires on an authorized update or patch of the approval subresource that
// approves (a condition of type Approved, or a body it cannot read), except
// the controller manager's automatic approval of kubelet client
// certificates. High for the kube-apiserver-client signer, medium for
// others.
func csrApproval() Rule {
	return Rule{
		Meta: Meta{
			ID:       "csr-approval",
			Title:    "Certificate signing request approved",
			Severity: check.Medium,
			MITRE:    []Technique{tForgeCertificates},
			Fires:    "an approval of a CertificateSigningRequest, other than the automatic approval of kubelet client certificates",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Check the CSR's requested user and groups; deny or delete it if unexpected, and restrict approve on signers to the certificate controller.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if (ev.Verb != "update" && ev.Verb != "patch") || !ev.IsSub("certificates.k8s.io", "certificatesigningrequests", "approval") || !ev.Allowed() {
				return nil
			}
			csr, ok := v.CSR()
			signer, subject := "", ""
			if ok {
				signer, subject = csr.Spec.SignerName, csr.Spec.Username
				approved := false
				for _, c := range csr.Status.Conditions {
					if c.Type == "Approved" && c.Status != "False" {
						approved = true
					}
				}
				if !approved {
					return nil
				}
			}
			if signer == "kubernetes.io/kube-apiserver-client-kubelet" && isControlPlane(v.actor()) {
				return nil
			}
			h := hit("certificate signing request "+ev.Name()+" approved", "signer", signer, "requestedBy", subject)
			if signer == "kubernetes.io/kube-apiserver-client" {
				h.Severity = check.High
			}
			return outcome(v, h, check.Medium)
		},
	}
}
