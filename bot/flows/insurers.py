"""Keep the insurer table in step with the deployment file (cases reference its codes)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from storage.models import InsurerRow


async def sync_insurers(svc: Services) -> None:
    """Insert or update every insurer of the deployment; removed ones stay for old cases."""

    async def work(session: AsyncSession) -> None:
        for ins in svc.deployment.insurers:
            row = await session.get(InsurerRow, ins.code)
            if row is None:
                row = InsurerRow(code=ins.code, name=ins.name, short_name=ins.short_name)
            row.name, row.short_name = ins.name, ins.short_name
            session.add(row)

    await svc.in_transaction(work)
