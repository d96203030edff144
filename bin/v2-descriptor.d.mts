// Types of v2-descriptor.mjs (a build helper in plain JS, also read by the test config).
export declare const PROTO_PACKAGE: string;
export declare const PROTO_FILES: string[];
export declare function protoDir(): string;
export declare function v2Descriptor(): Record<string, unknown>;
export declare function v2DescriptorModule(): string;
