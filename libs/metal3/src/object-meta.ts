import { Type, type SchemaOptions } from '@sinclair/typebox';

/** The parts of Kubernetes' ObjectMeta that Ingot reads and writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
}

/** `metadata` as a CRD schema declares it: the API server validates it itself. */
export const ObjectMetaSchema = Type.Unsafe<ObjectMeta>({ type: 'object' });

/** apiVersion and kind, as every Kubernetes object carries them. */
export const typeMetaProperties = {
  apiVersion: Type.Optional(
    Type.String({ description: 'Versioned schema of this object, here metal3.io/v1alpha1.' }),
  ),
  kind: Type.Optional(Type.String({ description: 'Kind of this object.' })),
  metadata: Type.Optional(ObjectMetaSchema),
};

/** A reference to a Secret by name (the namespace defaults to the host's). */
export const SecretReferenceSchema = (options: SchemaOptions = {}) =>
  Type.Object(
    {
      name: Type.Optional(Type.String({ description: 'Name of the Secret.' })),
      namespace: Type.Optional(
        Type.String({ description: "Namespace of the Secret; the host's when empty." }),
      ),
    },
    { 'x-kubernetes-map-type': 'atomic', ...options },
  );
