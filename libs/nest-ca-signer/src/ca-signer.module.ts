import { Module } from '@nestjs/common';

/**
 * The ca-signer role. Its presence on the bus (ping in queue group "ca-signer") and its health endpoints come
 * from CoreModule; its own handlers are added here as the role grows.
 */
@Module({})
export class CaSignerModule {}
