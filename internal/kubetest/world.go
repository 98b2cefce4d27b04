package kubetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Fill creates, for the benchmarks of cluster scans and the controller, a
// realistic mix of about perNamespace*namespaces objects:
// per namespace 10 Deployments, each with a ReplicaSet and 3 Pods owned as
// controllers make them, 10 Services, 20 ConfigMaps, 20 Secrets, 10
// ServiceAccounts, 5 Roles, 5 RoleBindings and 3 NetworkPolicies.
func Fill(b testing.TB, cs kubernetes.Interface, namespaces int) int {
	return FillRange(b, cs, 0, namespaces)
}

// FillRange is Fill for the namespaces team-FROM to team-(TO-1), so a world
// can grow in steps.
func FillRange(b testing.TB, cs kubernetes.Interface, from, to int) int {
	ctx := context.Background()
	var (
		mu    sync.Mutex
		count int
		errs  []error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, 32)
	do := func(f func() error) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := f()
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			} else {
				count++
			}
			mu.Unlock()
		}()
	}
	create := func(_ any, err error) error { return err }
	for n := from; n < to; n++ {
		ns := fmt.Sprintf("team-%03d", n)
		if err := create(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{"team": ns}}}, metav1.CreateOptions{})); err != nil {
			b.Fatal(err)
		}
		if err := create(cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})); err != nil {
			b.Fatal(err)
		}
		count += 2
		for i := range 10 {
			name := fmt.Sprintf("app-%d", i)
			labels := map[string]string{"app": name, "team": ns}
			spec := corev1.PodSpec{
				ServiceAccountName: "default",
				Containers: []corev1.Container{{
					Name: "main", Image: fmt.Sprintf("registry.example.com/%s/%s:1.%d.0", ns, name, i),
					Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Env:             []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db-0"}, Key: "password"}}}},
					Resources:       corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
					SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(i%3 != 0), Privileged: ptr.To(i == 7)},
				}},
			}
			do(func() error {
				dep, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
					ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
					Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
				}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
					ObjectMeta: metav1.ObjectMeta{Name: name + "-7d9f", Labels: labels, OwnerReferences: []metav1.OwnerReference{{
						APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}}},
					Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
						Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
				}, metav1.CreateOptions{})
				if err != nil {
					return err
				}
				for p := range 3 {
					if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
						ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs.Name, p), Labels: labels, OwnerReferences: []metav1.OwnerReference{{
							APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}},
						Spec: spec,
					}, metav1.CreateOptions{}); err != nil {
						return err
					}
				}
				mu.Lock()
				count += 4 // Deployment, ReplicaSet and two of the three Pods; do counts the third
				mu.Unlock()
				return nil
			})
			do(func() error {
				return create(cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
					Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}, metav1.CreateOptions{}))
			})
			do(func() error {
				return create(cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}))
			})
		}
		for i := range 20 {
			do(func() error {
				return create(cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("config-%d", i)},
					Data: map[string]string{"app.properties": strings.Repeat("key=value\n", 20), "LOG_LEVEL": "debug"}}, metav1.CreateOptions{}))
			})
			do(func() error {
				return create(cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("db-%d", i)},
					StringData: map[string]string{"password": strings.Repeat("s", 32), "tls.key": strings.Repeat("k", 1600)}}, metav1.CreateOptions{}))
			})
		}
		for i := range 5 {
			do(func() error {
				return create(cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i)},
					Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}[i%2 : i%2+1], Verbs: []string{"get", "list", "watch"}}}}, metav1.CreateOptions{}))
			})
			do(func() error {
				return create(cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i)},
					Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("app-%d", i), Namespace: ns}},
					RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: fmt.Sprintf("role-%d", i)}}, metav1.CreateOptions{}))
			})
		}
		for i := range 3 {
			do(func() error {
				np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np-%d", i)},
					Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("app-%d", i)}},
						PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
						Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
							MatchLabels: map[string]string{"app": fmt.Sprintf("app-%d", (i+1)%10)}}}}}}}}
				return create(cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}))
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("%d create errors, first: %v", len(errs), errs[0])
	}
	return count
}
