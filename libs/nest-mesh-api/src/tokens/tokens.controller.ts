import { Controller, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TokenHttpService } from './token-http.service';

/** Kuma's token endpoints; the token is answered as plain text, as kumactl expects. */
@Controller('tokens')
export class TokensController {
  constructor(@Inject(TokenHttpService) private readonly http: TokenHttpService) {}

  @Post('dataplane')
  @HttpCode(200)
  @Header('content-type', 'text/plain; charset=utf-8')
  dataplane(@Req() req: FastifyRequest): Promise<string> {
    return this.http.issueDataplaneToken(req);
  }
}
